"""Grounded verdicts over real HTTP: the `openai` client against the DeepSeek stand-in answering well or badly.

An LLM expert's confirm or veto counts only when it names the company asked about and cites the evidence it
was sent, with the numbers as sent; otherwise it abstains with the reason and the decision record counts the
refusal by reason. With no dated evidence for a stock the model is not asked at all.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from support.deepseek_standin import OTHER_COMPANY, DeepSeekStandin, StandinConfig, write_sample_evidence
from support.features import HEALTHY
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.decisions import open_store
from alphamoe.decisions.store import DecisionStore
from alphamoe.events.payloads import ExpertOpinion, SignalGenerated, SignalRouted
from alphamoe.evidence import EvidenceProvider, EvidenceStore
from alphamoe.llm.judge import LlmJudge
from alphamoe.llm.settings import LlmSettings, replaying
from alphamoe.market.bars import BarStore
from alphamoe.router import RouterConfig, default_router
from alphamoe.types import ExpertKind, Verdict

pytestmark = pytest.mark.integration
DAY = date(2024, 5, 6)
NAMES = {"600000.SH": "浦发银行", "600001.SH": "邯郸钢铁", "600002.SH": "齐鲁石化", "600003.SH": "东北高速"}
SEATED = RouterConfig(top_k=6)  # every LLM expert on the panel


def _signal(i: int) -> SignalGenerated:
    symbol = f"{600000 + i:06d}.SH"
    return SignalGenerated(
        trading_day=DAY,
        signal_id=f"{DAY}:trend_breakout:{symbol}",
        symbol=symbol,
        board="main",
        strategy="trend_breakout",
        rank=i,
        score=1.0,
        reference_price=Decimal("10.00"),
        prev_close=Decimal("10.00"),
        features=dict(HEALTHY),
        p_win=0.55,
        payoff=1.5,
        n_trades=40,
    )


SIGNALS = [_signal(i) for i in range(4)]


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> EvidenceProvider:
    folder = write_sample_evidence(tmp_path_factory.mktemp("evidence"), [s.symbol for s in SIGNALS], DAY)
    return EvidenceProvider(EvidenceStore.load(folder), names=lambda symbol, _day: NAMES.get(symbol, ""))


@pytest.fixture
def store(tmp_path: Path) -> DecisionStore:
    return open_store(tmp_path / "decisions")


def _route(standin: DeepSeekStandin, store: DecisionStore, evidence: EvidenceProvider) -> list[SignalRouted]:
    judge = LlmJudge(LlmSettings(base_url=standin.base_url, backoff_s=0.001), store)
    return default_router(SEATED, llm_enabled=True, judge=judge, evidence=evidence).route_batch(SIGNALS)


def _llm(routed: list[SignalRouted]) -> list[ExpertOpinion]:
    return [o for r in routed for o in r.opinions if o.kind is ExpertKind.LLM]


def test_answers_when_they_cite_what_they_were_sent_then_they_count_and_the_prompt_names_the_company(
    store: DecisionStore, evidence: EvidenceProvider
) -> None:
    with DeepSeekStandin() as honest:
        routed = _route(honest, store, evidence)
        prompts = [r.body["messages"][1]["content"] for r in honest.requests]

    opinions = _llm(routed)
    assert opinions and {o.outcome for o in opinions} == {"ok"}
    assert any(o.verdict is not Verdict.ABSTAIN for o in opinions)
    assert any(
        p.startswith("Review this quant signal on 600000.SH (浦发银行, Shanghai Stock Exchange).") for p in prompts
    )
    record = store.get_call(opinions[0].call_key or "")
    assert record is not None and record.refusal is None and record.about == record.symbol
    assert record.citations and all(c.evidence_id.startswith("ev-") or c.evidence_id == "features"
                                    for c in record.citations)  # fmt: skip
    assert store.refusals(DAY) == {}


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("cites_nothing", "the answer cites no evidence"),
        ("misquote", "the snapshot says"),
        ("not_given", "cites 'ev-0000000000000000', which it was not given"),
        ("other_company", f"the answer is about {OTHER_COMPANY[0]}, not 600"),
    ],
)
def test_answers_when_ungrounded_then_abstain_with_the_reason_and_counted_per_reason(
    store: DecisionStore, evidence: EvidenceProvider, mode: str, says: str
) -> None:
    with DeepSeekStandin(StandinConfig(grounding=mode)) as standin:
        routed = _route(standin, store, evidence)
        calls = standin.request_count

    opinions = _llm(routed)
    assert len(opinions) == calls == 3 * len(SIGNALS)  # every expert was asked: each stock has evidence
    records = [store.get_call(o.call_key or "") for o in opinions]
    judged = [r for r in records if r is not None and r.verdict is not Verdict.ABSTAIN]  # what the model said
    assert judged, "the stand-in should confirm or veto some signals"
    assert all(r.refusal is not None and r.refusal.code == mode and says in r.refusal.reason for r in judged)
    assert all(o.verdict is Verdict.ABSTAIN and o.confidence == 0 for o in opinions)
    refused = [o for o in opinions if o.outcome == f"refused {mode}"]
    assert len(refused) == len(judged)
    assert all(says in o.reasoning and "answer refused, abstains" in o.reasoning for o in refused)
    assert store.refusals(DAY) == {mode: len(judged)}
    # refused answers add nothing: the panel rules as the symbolic experts alone
    alone = default_router(SEATED, llm_enabled=False).route_batch(SIGNALS)
    assert [(r.verdict, r.confidence) for r in routed] == [(r.verdict, r.confidence) for r in alone]


def test_answer_about_another_company_when_replayed_then_still_refused_and_not_counted_twice(
    store: DecisionStore, evidence: EvidenceProvider
) -> None:
    with DeepSeekStandin(StandinConfig(grounding="other_company")) as standin:
        live = _route(standin, store, evidence)
        counted = store.refusals(DAY)
        judge = LlmJudge(replaying(LlmSettings(base_url=standin.base_url)), store)
        replayed = default_router(SEATED, llm_enabled=True, judge=judge, evidence=evidence).route_batch(SIGNALS)
        assert standin.request_count == 3 * len(SIGNALS)  # the replay made no call

    assert [(o.verdict, o.reasoning) for o in _llm(replayed)] == [(o.verdict, o.reasoning) for o in _llm(live)]
    assert {o.outcome for o in _llm(replayed)} <= {"replayed refused other_company", "replayed ok"}
    assert store.refusals(DAY) == counted


def test_llm_experts_when_a_stock_has_no_evidence_then_no_call_and_none_confirms(store: DecisionStore) -> None:
    with DeepSeekStandin() as standin:
        judge = LlmJudge(LlmSettings(base_url=standin.base_url, backoff_s=0.001), store)
        routed = default_router(SEATED, llm_enabled=True, judge=judge, evidence=EvidenceProvider()).route_batch(SIGNALS)
        calls = standin.request_count

    assert calls == 0  # the finding: the sector expert confirmed after reading 0 items
    for r in routed:
        assert all(o.verdict is not Verdict.CONFIRM for o in r.opinions if o.expert in {"fundamental", "sector"})
        why = {c.expert: c.why for c in r.gate}
        assert why["sector"].startswith(f"no evidence for {r.signal.symbol} before 2024-05-06 09:00 CST")
        sentiment = next(o for o in r.opinions if o.expert == "sentiment")
        assert sentiment.kind is ExpertKind.SYMBOLIC and sentiment.fallback is not None  # its symbolic form, said so


def test_cli_run_when_no_evidence_on_file_then_no_llm_expert_is_asked_or_confirms(
    market_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = BarStore(market_dir).sessions()[-1]
    monkeypatch.delenv("ALPHAMOE_EVIDENCE", raising=False)
    monkeypatch.setenv("ALPHAMOE_DATA", str(market_dir))
    monkeypatch.setenv("ALPHAMOE_RUNS", str(tmp_path / "runs"))
    with DeepSeekStandin() as standin:
        monkeypatch.setenv("ALPHAMOE_LLM_BASE_URL", standin.base_url)
        result = CliRunner().invoke(app, ["run", "--date", day.isoformat(), "--json", str(tmp_path / "day.json")])
        calls = standin.request_count

    assert result.exit_code == 0, result.output
    routed = json.loads((tmp_path / "day.json").read_text())["routed"]
    assert routed and calls == 0  # the issue: the sector expert confirmed after reading 0 evidence items
    assert not [e for r in routed for e in r["experts"] if e.split(":")[0] in {"fundamental", "sector"}]
