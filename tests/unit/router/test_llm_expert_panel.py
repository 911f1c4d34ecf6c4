"""LLM experts without a network: missing evidence, fallbacks, replay from the record, the route stage batch.

Calls over HTTP to the DeepSeek stand-in are in tests/integration/test_llm_experts.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from alphamoe.decisions import CallRecord, call_key, open_store
from alphamoe.decisions.store import DecisionStore
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import SignalGenerated, SignalRouted
from alphamoe.evidence import EvidenceItem, EvidenceKind, EvidenceProvider, EvidenceStore
from alphamoe.llm.budget import Usage
from alphamoe.llm.judge import LlmJudge, prompt_hash
from alphamoe.llm.settings import LlmSettings, replaying
from alphamoe.pipeline.stages.route import RouteStage
from alphamoe.router import RouterConfig, default_router
from alphamoe.router.llm import SPECS, LlmExpert
from alphamoe.router.symbolic import PriceSentimentExpert
from alphamoe.types import ExpertKind, Verdict

MakeSignal = Callable[..., SignalGenerated]
SPEC = {s.name: s for s in SPECS}


@pytest.fixture
def store(tmp_path: Path) -> DecisionStore:
    return open_store(tmp_path / "decisions")


@pytest.fixture
def market_news() -> EvidenceProvider:
    """One market-wide item published before 2024-05-06's cutoff: what the sector expert reads."""
    item = EvidenceItem(
        kind=EvidenceKind.NEWS, published_at=datetime(2024, 5, 3, 10, 0), title="PBoC holds rates", source="t"
    )
    return EvidenceProvider(EvidenceStore([item]))


@pytest.fixture
def replay_judge(store: DecisionStore) -> LlmJudge:
    """Replay only, no endpoint: answers come from the record or not at all (no HTTP possible)."""
    return LlmJudge(replaying(LlmSettings()), store)


def test_gate_when_no_evidence_on_file_then_passes_over_fundamental_and_sector_saying_so(
    replay_judge: LlmJudge, make_signal: MakeSignal
) -> None:
    router = default_router(llm_enabled=True, judge=replay_judge)

    routed = router.route(make_signal())

    selected = [c.expert for c in routed.gate if c.selected]
    assert selected == ["risk_skeptic", "trend", "liquidity"]  # the sector expert reads no item: no seat
    why = {c.expert: c.why for c in routed.gate}
    assert why["fundamental"].startswith("no evidence for 600519.SH before 2024-05-06 09:00 CST (fundamentals)")
    assert why["sector"].startswith("no evidence for 600519.SH before 2024-05-06 09:00 CST (market news)")
    assert all("no symbolic form" in why[name] for name in ("fundamental", "sector"))


def test_sector_when_replay_misses_record_then_abstains_and_never_counts_as_confirm(
    replay_judge: LlmJudge, make_signal: MakeSignal, market_news: EvidenceProvider
) -> None:
    routed = default_router(llm_enabled=True, judge=replay_judge, evidence=market_news).route(make_signal())

    sector = next(o for o in routed.opinions if o.expert == "sector")
    assert sector.verdict is Verdict.ABSTAIN and sector.outcome == "not_recorded"
    assert "not in the decision record" in sector.reasoning
    # the symbolic verdict alone decides: trend and liquidity confirm, risk_skeptic abstains, the LLM abstention
    # adds nothing
    symbolic_only = default_router(llm_enabled=False)
    assert routed.verdict is symbolic_only.route(make_signal()).verdict
    assert routed.confidence == pytest.approx(symbolic_only.route(make_signal()).confidence)


def test_sentiment_when_no_news_then_symbolic_form_judges_and_says_so(
    replay_judge: LlmJudge, make_signal: MakeSignal
) -> None:
    expert = LlmExpert(
        SPEC["sentiment"], replay_judge, EvidenceProvider(), fallback=PriceSentimentExpert(RouterConfig().sentiment)
    )

    opinion = expert.judge(make_signal(volume_ratio=2.2, ret_5d=0.05))

    assert opinion.expert == "sentiment" and opinion.kind is ExpertKind.SYMBOLIC
    assert opinion.verdict is Verdict.CONFIRM
    assert opinion.reasoning.startswith("symbolic form (no evidence for 600519.SH before 2024-05-06 09:00 CST")
    assert opinion.fallback is not None and opinion.fallback.endswith("symbolic form judged")
    assert expert.situation_gap(make_signal()) is None  # it can always judge, so the gate may pick it


def test_fundamental_when_selected_without_evidence_then_abstains_and_says_so(
    replay_judge: LlmJudge, make_signal: MakeSignal
) -> None:
    opinion = LlmExpert(SPEC["fundamental"], replay_judge, EvidenceProvider()).judge(make_signal())

    assert opinion.verdict is Verdict.ABSTAIN and opinion.confidence == 0
    assert opinion.fallback is not None and opinion.fallback.endswith("abstained")
    assert "no symbolic form" in opinion.reasoning


def test_sector_when_record_has_answer_then_replayed_at_zero_cost(
    store: DecisionStore, replay_judge: LlmJudge, make_signal: MakeSignal, market_news: EvidenceProvider
) -> None:
    signal = make_signal()
    evidence = market_news.evidence(signal, SPEC["sector"].kinds)
    p_hash = prompt_hash(SPEC["sector"].system_prompt)
    key = call_key("sector", replay_judge.model, p_hash, evidence.input_hash())
    store.put_call(
        CallRecord(
            key=key,
            expert="sector",
            model="deepseek-reasoner",
            prompt_hash=p_hash,
            input_hash=evidence.input_hash(),
            trading_day=signal.trading_day,
            signal_id=signal.signal_id,
            symbol=signal.symbol,
            prompt="…",
            response='{"verdict": "veto", "confidence": 0.9, "reasons": ["policy tightening"]}',
            reasoning="Rates are rising.",
            usage=Usage(prompt_tokens=400, completion_tokens=50),
            cost_cny=Decimal("0.0024"),
            latency_ms=21_000.0,
            attempts=(),
            outcome="ok",
            verdict=Verdict.VETO,
            confidence=0.9,
            reasons=("policy tightening",),
            recorded_at=datetime(2026, 3, 2, tzinfo=UTC),
        )
    )

    opinion = LlmExpert(SPEC["sector"], replay_judge, market_news).judge(signal)

    assert (opinion.verdict, opinion.confidence) == (Verdict.VETO, 0.9)
    assert opinion.reasoning == "deepseek-reasoner: policy tightening"
    assert (opinion.outcome, opinion.call_key, opinion.cost_cny, opinion.tokens) == ("replayed ok", key, 0, 0)


def test_route_many_when_batch_out_of_id_order_then_outputs_follow_input_and_trails_recorded(
    store: DecisionStore, make_signal: MakeSignal
) -> None:
    stage = RouteStage(default_router(llm_enabled=False), record=store)
    signals = [make_signal("c", symbol="600000.SH"), make_signal("a", symbol="000001.SZ", rsi_14=90.0)]
    envelopes = [build_event(s, run_id="run-1", source="/test") for s in signals]

    outputs = stage.route_many(envelopes)

    routed = [o.payload for o in outputs]
    assert all(isinstance(r, SignalRouted) for r in routed)
    assert [r.signal.signal_id for r in routed] == ["c", "a"]
    assert [o.causation_id for o in outputs] == [e.id for e in envelopes]
    assert routed[1].verdict is Verdict.VETO
    trail = store.get_route("run-1", "000001.SZ")
    assert trail is not None and trail.routed == routed[1]
    assert stage.handle(envelopes[0])[0].payload == routed[0]
