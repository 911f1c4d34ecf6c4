"""LLM experts over real HTTP: the `openai` client against the DeepSeek stand-in on 127.0.0.1.

Nothing is patched: faults are scripted at the stand-in, and every assertion about calls counts the
requests the stand-in received.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.deepseek_standin import DeepSeekStandin, StandinConfig, write_sample_evidence
from support.features import HEALTHY
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.decisions import open_store
from alphamoe.decisions.store import DecisionStore
from alphamoe.events.payloads import SignalGenerated, SignalRouted
from alphamoe.evidence import EvidenceProvider, EvidenceStore
from alphamoe.llm.judge import LlmJudge
from alphamoe.llm.settings import LlmSettings, replaying
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.run import run_day
from alphamoe.report.day import DayReport
from alphamoe.router import Router, RouterConfig, default_router
from alphamoe.settings import Settings
from alphamoe.types import ExpertKind, Side, Verdict

pytestmark = pytest.mark.integration
DAY = date(2024, 5, 6)
FEATURES = HEALTHY


@pytest.fixture(scope="module")
def standin() -> Iterator[DeepSeekStandin]:
    with DeepSeekStandin(StandinConfig(hang_s=5.0)) as server:
        yield server


@pytest.fixture
def deepseek(standin: DeepSeekStandin) -> DeepSeekStandin:
    standin.reset()
    return standin


def _signal(i: int, **features: float) -> SignalGenerated:
    return SignalGenerated(
        trading_day=DAY,
        signal_id=f"{DAY}:trend_breakout:{600000 + i:06d}.SH",
        symbol=f"{600000 + i:06d}.SH",
        board="main",
        strategy="trend_breakout",
        rank=i,
        score=1.0,
        reference_price=Decimal("10.00"),
        prev_close=Decimal("10.00"),
        features={**FEATURES, **features},
        p_win=0.55,
        payoff=1.5,
        n_trades=40,
    )


@pytest.fixture
def signals() -> list[SignalGenerated]:
    return [_signal(i) for i in range(6)]


@pytest.fixture
def evidence(tmp_path: Path, signals: list[SignalGenerated]) -> EvidenceProvider:
    folder = write_sample_evidence(tmp_path / "evidence", [s.symbol for s in signals], DAY)
    return EvidenceProvider(EvidenceStore.load(folder))


@pytest.fixture
def store(tmp_path: Path) -> DecisionStore:
    return open_store(tmp_path / "decisions")


RouterFactory = Callable[..., Router]


@pytest.fixture
def make_router(deepseek: DeepSeekStandin, store: DecisionStore, evidence: EvidenceProvider) -> RouterFactory:
    def make(**overrides: Any) -> Router:
        values: dict[str, Any] = {"base_url": deepseek.base_url, "backoff_s": 0.001, "timeout_s": 5.0}
        settings = LlmSettings(**{**values, **overrides})
        return default_router(llm_enabled=True, judge=LlmJudge(settings, store), evidence=evidence)

    return make


def _llm(routed: SignalRouted, expert: str = "fundamental") -> Any:
    return next(o for o in routed.opinions if o.expert == expert)


def test_fundamental_when_answered_then_reasoning_content_persisted_and_reason_in_summary(
    deepseek: DeepSeekStandin, make_router: RouterFactory, store: DecisionStore, signals: list[SignalGenerated]
) -> None:
    routed = make_router().route(signals[0])

    opinion = _llm(routed)
    assert opinion.outcome == "ok" and opinion.model == "deepseek-reasoner"
    assert f"fundamental: {opinion.verdict.value} (deepseek-reasoner: " in routed.reasoning_summary
    record = store.get_call(opinion.call_key)
    assert record is not None
    assert record.reasoning is not None and record.reasoning.startswith(f"The signal is {signals[0].symbol}")
    assert record.usage.reasoning_tokens > 0 and record.usage.cache_hit_tokens > 0
    assert record.cost_cny > 0 and opinion.cost_cny == record.cost_cny
    assert deepseek.request_count == 1


def test_fundamental_when_malformed_then_repaired_without_sending_reasoning_back(
    deepseek: DeepSeekStandin, make_router: RouterFactory, store: DecisionStore, signals: list[SignalGenerated]
) -> None:
    deepseek.script(["malformed", "ok"])

    opinion = _llm(make_router().route(signals[0]))

    assert opinion.outcome == "repaired"
    record = store.get_call(opinion.call_key)
    assert record is not None and record.repaired_from is not None
    assert (record.verdict, record.confidence) == (opinion.verdict, opinion.confidence)
    repair = deepseek.requests[1].body["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert repair[2]["content"] == record.repaired_from
    assert all("reasoning_content" not in m for m in repair)
    assert deepseek.rejected_reasoning_echoes == 0


def test_fundamental_when_malformed_twice_then_abstains(
    deepseek: DeepSeekStandin, make_router: RouterFactory, store: DecisionStore, signals: list[SignalGenerated]
) -> None:
    deepseek.script(["malformed", "malformed"])

    opinion = _llm(make_router().route(signals[0]))

    assert (opinion.verdict, opinion.confidence, opinion.outcome) == (Verdict.ABSTAIN, 0.0, "invalid")
    record = store.get_call(opinion.call_key)
    assert record is not None and "invalid twice" in record.detail
    assert deepseek.request_count == 2


def test_fundamental_when_server_hangs_then_times_out_and_abstains_without_retry(
    deepseek: DeepSeekStandin, make_router: RouterFactory, signals: list[SignalGenerated]
) -> None:
    deepseek.script(["timeout"])

    routed = make_router(timeout_s=0.3).route(signals[0])

    opinion = _llm(routed)
    assert (opinion.verdict, opinion.outcome) == (Verdict.ABSTAIN, "timeout")
    assert deepseek.request_count == 1
    assert "fundamental: abstain (deepseek-reasoner: no usable answer (timeout)" in routed.reasoning_summary


def test_fundamental_when_rate_limited_then_retried_and_answered(
    deepseek: DeepSeekStandin, make_router: RouterFactory, store: DecisionStore, signals: list[SignalGenerated]
) -> None:
    deepseek.script(["429", "500", "ok"])

    opinion = _llm(make_router(max_retries=3).route(signals[0]))

    assert opinion.outcome == "ok"
    record = store.get_call(opinion.call_key)
    assert record is not None and [a.status for a in record.attempts] == ["429", "500", "ok"]
    assert deepseek.request_count == 3


def test_fundamental_when_call_is_slow_and_slots_idle_then_hedged_copy_answers_first(
    deepseek: DeepSeekStandin, make_router: RouterFactory, store: DecisionStore, signals: list[SignalGenerated]
) -> None:
    deepseek.script(["slow"])  # the first request takes hang_s (5 s); its copy answers in milliseconds

    opinion = _llm(make_router(hedge_after_s=0.2, timeout_s=10.0).route(signals[0]))

    assert opinion.outcome == "ok"
    record = store.get_call(opinion.call_key)
    assert record is not None and [a.status for a in record.attempts] == ["ok (2 hedged copies)"]
    assert record.latency_ms < 4_000
    assert deepseek.request_count == 2


def test_fundamental_when_errors_outlast_retries_then_abstains(
    deepseek: DeepSeekStandin, make_router: RouterFactory, signals: list[SignalGenerated]
) -> None:
    deepseek.script(["429", "429", "429"])

    opinion = _llm(make_router(max_retries=2).route(signals[0]))

    assert (opinion.verdict, opinion.outcome) == (Verdict.ABSTAIN, "rate_limited")
    assert deepseek.request_count == 3


def test_router_when_budget_exhausted_then_symbolic_experts_decide_with_no_call(
    deepseek: DeepSeekStandin, make_router: RouterFactory, signals: list[SignalGenerated]
) -> None:
    routed = make_router(daily_token_budget=0).route_batch(signals)

    symbolic = default_router(llm_enabled=False).route_batch(signals)
    assert deepseek.request_count == 0
    assert [(r.verdict, r.confidence) for r in routed] == [(r.verdict, r.confidence) for r in symbolic]
    for r in routed:
        assert [c.expert for c in r.gate if c.selected] == ["risk_skeptic", "trend", "liquidity"]
        why = {c.expert: c.why for c in r.gate}
        assert why["fundamental"].startswith("LLM budget exhausted")
        assert why["fundamental"].endswith("symbolic experts decide")


def test_router_when_budget_runs_out_midday_then_later_signals_symbolic(
    deepseek: DeepSeekStandin, make_router: RouterFactory, signals: list[SignalGenerated]
) -> None:
    router = make_router(daily_token_budget=1, max_concurrency=1)

    first, second = router.route(signals[0]), router.route(signals[1])

    assert _llm(first).outcome == "ok"
    assert all(o.kind.value == "symbolic" for o in second.opinions)
    assert deepseek.request_count == 1


def test_replay_when_record_has_every_call_then_same_verdicts_and_zero_http_calls(
    deepseek: DeepSeekStandin,
    make_router: RouterFactory,
    store: DecisionStore,
    evidence: EvidenceProvider,
    signals: list[SignalGenerated],
) -> None:
    live = make_router().route_batch(signals)
    calls = deepseek.request_count
    assert calls == len(signals)

    replay_settings = replaying(LlmSettings(base_url=deepseek.base_url))
    replayed = default_router(llm_enabled=True, judge=LlmJudge(replay_settings, store), evidence=evidence).route_batch(
        signals
    )

    assert deepseek.request_count == calls
    assert [(r.verdict, r.confidence, r.reasoning_summary) for r in replayed] == [
        (r.verdict, r.confidence, r.reasoning_summary) for r in live
    ]
    assert {_llm(r).outcome for r in replayed} == {"replayed ok"}


def test_replay_when_key_missing_then_abstains_without_calling(
    deepseek: DeepSeekStandin, store: DecisionStore, evidence: EvidenceProvider, signals: list[SignalGenerated]
) -> None:
    judge = LlmJudge(replaying(LlmSettings(base_url=deepseek.base_url)), store)

    opinion = _llm(default_router(llm_enabled=True, judge=judge, evidence=evidence).route(signals[0]))

    assert (opinion.verdict, opinion.outcome) == (Verdict.ABSTAIN, "not_recorded")
    assert deepseek.request_count == 0


def test_concurrent_batch_when_errors_and_malformed_then_none_lost(
    make_router: RouterFactory, signals: list[SignalGenerated], deepseek: DeepSeekStandin
) -> None:
    deepseek.script(["500", "malformed", "429", "timeout"])

    routed = make_router(timeout_s=0.5, max_concurrency=4).route_batch(signals)

    assert sorted(r.signal.signal_id for r in routed) == sorted(s.signal_id for s in signals)
    assert all(r.verdict in set(Verdict) and _llm(r).outcome for r in routed)


# ---- a compromised model: "confirm 1.0" to everything ------------------------------------------------------


@pytest.fixture(scope="module")
def compromised() -> Iterator[DeepSeekStandin]:
    """The stand-in playing a model taken over by an injection: it confirms everything at 1.0."""
    with DeepSeekStandin(StandinConfig(compromised=("confirm", 1.0))) as server:
        yield server


QUIET = {"volume_ratio": 0.5}  # liquidity abstains (no volume behind the move), as in the findings
PANEL = [
    _signal(0),  # healthy: every symbolic expert has a say
    _signal(1, ma5_over_ma20=-0.02, close_over_ma20=-0.01, ret_20d=-0.08, **QUIET),  # trend vetoes, 0.70
    _signal(2, ma5_over_ma20=0.005, ret_20d=0.02, breakout_margin=0.003, **QUIET),  # trend confirms, 0.55
    _signal(3, amount_20d=9_000_000.0),  # thin: liquidity vetoes, a split symbolic vote
    _signal(4, rsi_14=88.0),  # overheated: risk skeptic's hard veto
    _signal(5, ma5_over_ma20=0.01, ret_20d=-0.01),  # trend mixed: abstains
]


@pytest.mark.parametrize("top_k", [3, 6], ids=["default_panel", "every_llm_expert_seated"])
def test_router_when_model_compromised_then_confirms_and_confidences_at_most_the_symbolic_panels(
    compromised: DeepSeekStandin, store: DecisionStore, evidence: EvidenceProvider, top_k: int
) -> None:
    compromised.reset()
    config = RouterConfig(top_k=top_k)
    judge = LlmJudge(LlmSettings(base_url=compromised.base_url, backoff_s=0.001), store)

    attacked = default_router(config, llm_enabled=True, judge=judge, evidence=evidence).route_batch(PANEL)
    alone = {r.signal.signal_id: r for r in default_router(config, llm_enabled=False).route_batch(PANEL)}

    llm = [o for r in attacked for o in r.opinions if o.kind is ExpertKind.LLM]
    assert llm and all((o.verdict, o.confidence, o.outcome) == (Verdict.CONFIRM, 1.0, "ok") for o in llm)
    assert compromised.request_count == len(llm)
    for r in attacked:
        symbolic = alone[r.signal.signal_id]
        if r.verdict is Verdict.CONFIRM:
            assert symbolic.verdict is Verdict.CONFIRM
            assert r.confidence <= symbolic.confidence
        if symbolic.verdict is Verdict.VETO:
            assert r.verdict is Verdict.VETO
    if top_k == 6:  # the findings, through the real router and the openai client
        by_id = {r.signal.signal_id: r for r in attacked}
        veto, weak = by_id[PANEL[1].signal_id], by_id[PANEL[2].signal_id]
        assert (veto.verdict, round(veto.confidence, 2)) == (Verdict.VETO, 0.70)
        assert "LLM experts cannot overturn the symbolic experts' veto" in veto.reasoning_summary
        assert (weak.verdict, round(weak.confidence, 2)) == (Verdict.CONFIRM, 0.55)
        assert "LLM experts cannot raise: capped at symbolic 0.55" in weak.reasoning_summary
    record = store.get_call(llm[0].call_key or "")
    assert record is not None and {"kind", "can_veto", "weight"} <= set(record.dropped_keys)


# ---- a whole day: prompt injection, the CLI with and without the stand-in --------------------------------


@pytest.fixture(scope="module")
def day_market(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, date, Path, Path]:
    """The small market's last day, and evidence for every stock: clean, and with injected instructions."""
    store = BarStore(market_dir)
    day = store.sessions()[-1]
    symbols = sorted(store.instruments()["symbol"])
    root = tmp_path_factory.mktemp("evidence")
    clean = write_sample_evidence(root / "clean", symbols, day)
    injected = write_sample_evidence(root / "injected", symbols, day, inject=True)
    return market_dir, day, clean, injected


def _orders(settings: Settings, day: date) -> list[tuple[str, str, int, Decimal, str]]:
    report = run_day(settings, day).report
    return [(o.symbol, o.side.value, o.quantity, o.limit_price, o.status.value) for o in report.orders]


def test_day_when_evidence_carries_injected_instructions_then_orders_unchanged(
    deepseek: DeepSeekStandin, day_market: tuple[Path, date, Path, Path], tmp_path: Path
) -> None:
    data, day, clean, injected = day_market

    def settings(name: str, folder: Path) -> Settings:
        llm = LlmSettings(base_url=deepseek.base_url, evidence=folder, decisions=str(tmp_path / name / "decisions"))
        return Settings(data=data, runs=tmp_path / name, llm=llm)

    honest = _orders(settings("clean", clean), day)
    assert deepseek.injections_seen == 0
    attacked_settings = settings("injected", injected)
    attacked = _orders(attacked_settings, day)

    assert deepseek.injections_seen > 0  # the injected text did reach the model, which obeyed it in words
    assert not any("FUTURE:" in json.dumps(r.body) for r in deepseek.requests)  # point in time
    assert attacked == honest
    assert any(o[1] == "BUY" for o in honest)
    records = [
        p for p in (tmp_path / "injected" / "decisions" / "calls").rglob("*.json") if "1,000,000" in p.read_text()
    ]
    assert records
    dropped = json.loads(records[0].read_text())["dropped_keys"]
    assert {"order", "quantity", "lift_limits", "max_position_weight"} <= set(dropped)


def test_day_when_model_compromised_by_injection_then_no_order_created_or_enlarged(
    compromised: DeepSeekStandin, day_market: tuple[Path, date, Path, Path], tmp_path: Path
) -> None:
    data, day, _, injected = day_market
    compromised.reset()

    def report(name: str, llm: LlmSettings) -> DayReport:
        return run_day(Settings(data=data, runs=tmp_path / name, llm=llm), day).report

    decisions = str(tmp_path / "decisions")
    symbolic = report("symbolic", LlmSettings(base_url=None, api_key=None, decisions=decisions))
    attacked = report("attacked", LlmSettings(base_url=compromised.base_url, evidence=injected, decisions=decisions))

    assert compromised.injections_seen > 0
    alone = {r.symbol: r for r in symbolic.routed}
    llm_confirms = [e for r in attacked.routed for e in r.experts if e.split(":")[0] in {"fundamental", "sector"}]
    assert llm_confirms and all(e.endswith(":confirm") for e in llm_confirms)
    for r in attacked.routed:
        if r.verdict is Verdict.CONFIRM:
            assert alone[r.symbol].verdict is Verdict.CONFIRM
            assert r.confidence <= alone[r.symbol].confidence
    buys = {o.symbol: o.quantity for o in attacked.orders if o.side is Side.BUY}
    symbolic_buys = {o.symbol: o.quantity for o in symbolic.orders if o.side is Side.BUY}
    assert symbolic_buys
    # no shared cap binds this day (exposure scaling, a board or industry cap), so each order is sized from its
    # own signal's confidence and a lower confidence elsewhere cannot free room for a larger one
    notes = [n for o in symbolic.orders for n in o.reasons]
    assert not any(n.startswith("scaled ×") or " capped: held " in n for n in notes)
    assert set(buys) <= set(symbolic_buys)
    assert all(quantity <= symbolic_buys[symbol] for symbol, quantity in buys.items())


def test_cli_run_when_llm_base_url_set_then_llm_reasons_in_tables_and_json_and_replay_is_free(
    deepseek: DeepSeekStandin,
    day_market: tuple[Path, date, Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, day, clean, _ = day_market
    monkeypatch.setenv("ALPHAMOE_DATA", str(data))
    monkeypatch.setenv("ALPHAMOE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("ALPHAMOE_LLM_BASE_URL", deepseek.base_url)
    monkeypatch.setenv("ALPHAMOE_EVIDENCE", str(clean))
    runner = CliRunner()

    live = runner.invoke(app, ["run", "--date", day.isoformat(), "--json", str(tmp_path / "live.json")])

    assert live.exit_code == 0, live.output
    assert "deepseek-reasoner:" in live.output
    report = json.loads((tmp_path / "live.json").read_text())
    assert any("fundamental:" in r["reasoning_summary"] and "deepseek-reasoner:" in r["reasoning_summary"]
               for r in report["routed"])  # fmt: skip
    calls = deepseek.request_count
    assert calls > 0

    replay = runner.invoke(app, ["run", "--date", day.isoformat(), "--replay", "--json", str(tmp_path / "re.json")])

    assert replay.exit_code == 0, replay.output
    assert deepseek.request_count == calls
    again = json.loads((tmp_path / "re.json").read_text())
    assert [r["reasoning_summary"] for r in again["routed"]] == [r["reasoning_summary"] for r in report["routed"]]
    assert [(o["symbol"], o["quantity"]) for o in again["orders"]] == [
        (o["symbol"], o["quantity"]) for o in report["orders"]
    ]

    symbol = report["routed"][0]["symbol"]
    explained = runner.invoke(app, ["explain", report["run_id"], symbol, "--full"])
    assert explained.exit_code == 0, explained.output
    assert "Gate" in explained.output and "reasoning: The signal is" in explained.output


def test_cli_run_when_no_llm_configured_then_day_runs_on_symbolic_experts(
    day_market: tuple[Path, date, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, day, _, _ = day_market
    for name in ("ALPHAMOE_LLM_BASE_URL", "ALPHAMOE_LLM_API_KEY", "ALPHAMOE_EVIDENCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALPHAMOE_DATA", str(data))
    monkeypatch.setenv("ALPHAMOE_RUNS", str(tmp_path / "runs"))

    result = CliRunner().invoke(app, ["run", "--date", day.isoformat(), "--json", str(tmp_path / "r.json")])

    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["routed"]
    assert all("deepseek" not in r["reasoning_summary"] for r in report["routed"])
    assert all(set(e.split(":")[0] for e in r["experts"]) <= {"trend", "liquidity", "risk_skeptic"}
               for r in report["routed"])  # fmt: skip
