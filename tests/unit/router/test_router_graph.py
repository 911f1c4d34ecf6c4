from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alphamoe.events.payloads import SignalGenerated, SignalRouted
from alphamoe.router import Router, RouterConfig, default_router
from alphamoe.router.config import TrendThresholds
from alphamoe.router.experts import ExpertRegistry
from alphamoe.router.llm import LLM_OFF_REASON
from alphamoe.router.symbolic import TrendExpert
from alphamoe.types import Verdict

MakeSignal = Callable[..., SignalGenerated]
SYMBOLIC = ("trend", "liquidity", "risk_skeptic")


@pytest.fixture(scope="module")
def router() -> Router:
    return default_router(llm_enabled=False)


@pytest.fixture
def day(make_signal: MakeSignal) -> list[SignalGenerated]:
    """Four candidates of one day, out of id order: healthy, overheated, thin, featureless."""
    return [
        make_signal("d-thin", symbol="000002.SZ", amount_20d=9_000_000.0),
        make_signal("a-healthy", symbol="600519.SH"),
        make_signal("c-blank", symbol="600000.SH", drop=tuple(make_signal().features)),
        make_signal("b-overheated", symbol="300750.SZ", rsi_14=88.0, limit_up_count_5d=2.0),
    ]


def _by_id(routed: list[SignalRouted]) -> dict[str, SignalRouted]:
    return {r.signal.signal_id: r for r in routed}


def test_route_batch_when_mixed_day_then_verdicts_follow_the_rules(router: Router, day: list[SignalGenerated]) -> None:
    routed = _by_id(router.route_batch(day))

    assert routed["a-healthy"].verdict is Verdict.CONFIRM
    assert 0 < routed["a-healthy"].confidence <= 1
    assert routed["b-overheated"].verdict is Verdict.VETO
    assert "hard veto by risk_skeptic" in routed["b-overheated"].reasoning_summary
    # trend confirms (1.0) but liquidity vetoes (0.8): a 56% confirm share is under 60%
    assert routed["d-thin"].verdict is Verdict.ABSTAIN
    assert routed["c-blank"].verdict is Verdict.ABSTAIN
    assert "every expert abstained" in routed["c-blank"].reasoning_summary


def test_route_batch_when_run_then_sorted_by_signal_id_and_complete(router: Router, day: list[SignalGenerated]) -> None:
    routed = router.route_batch(day)

    assert [r.signal.signal_id for r in routed] == ["a-healthy", "b-overheated", "c-blank", "d-thin"]
    for r in routed:
        assert r.trading_day == r.signal.trading_day
        assert {c.expert for c in r.gate} == {*SYMBOLIC, "fundamental", "sentiment", "sector"}
        assert [o.expert for o in r.opinions] == [c.expert for c in r.gate if c.selected]
        assert all(c.why == LLM_OFF_REASON for c in r.gate if c.expert not in SYMBOLIC)


def test_route_batch_when_run_twice_in_any_order_then_identical(router: Router, day: list[SignalGenerated]) -> None:
    first = router.route_batch(day)
    again = router.route_batch(list(reversed(day)))

    assert [r.model_dump() for r in first] == [r.model_dump() for r in again]


def test_route_batch_when_run_then_summary_names_every_selected_expert(
    router: Router, day: list[SignalGenerated]
) -> None:
    for r in router.route_batch(day):
        assert r.reasoning_summary.startswith(f"{r.verdict.value} {r.confidence:.2f}")
        for name in SYMBOLIC:
            assert f"{name}: " in r.reasoning_summary


def test_route_when_single_signal_then_same_as_in_batch(router: Router, day: list[SignalGenerated]) -> None:
    batch = _by_id(router.route_batch(day))

    assert router.route(day[1]) == batch["a-healthy"]


def test_route_batch_when_empty_then_empty(router: Router) -> None:
    assert router.route_batch([]) == []


def test_route_when_regime_given_then_gate_weighs_by_it(make_signal: MakeSignal) -> None:
    router = default_router(RouterConfig(top_k=2), llm_enabled=False)

    in_trend = router.route(make_signal(), regime="trend")
    in_range = router.route(make_signal(), regime="range")

    assert [o.expert for o in in_trend.opinions] == ["trend", "risk_skeptic"]
    assert [o.expert for o in in_range.opinions] == ["risk_skeptic", "liquidity"]


def test_route_batch_when_expert_raises_then_it_abstains_and_batch_goes_on(
    make_signal: MakeSignal, stub: Any, day: list[SignalGenerated]
) -> None:
    registry = ExpertRegistry(
        [stub("flaky", weight=5.0, error=RuntimeError("feed down")), TrendExpert(TrendThresholds())]
    )
    router = Router(registry, RouterConfig())

    routed = _by_id(router.route_batch(day))

    flaky = next(o for o in routed["a-healthy"].opinions if o.expert == "flaky")
    assert flaky.verdict is Verdict.ABSTAIN
    assert flaky.confidence == 0.0
    assert flaky.reasoning == "expert error: RuntimeError: feed down"
    assert routed["a-healthy"].verdict is Verdict.CONFIRM  # decided by trend alone
    assert "flaky: abstain (expert error: RuntimeError: feed down)" in routed["a-healthy"].reasoning_summary
    assert len(routed) == len(day)


def test_route_when_only_expert_raises_then_never_confirms(make_signal: MakeSignal, stub: Any) -> None:
    router = Router(ExpertRegistry([stub("broken", error=ValueError("bad json"))]))

    routed = router.route(make_signal())

    assert routed.verdict is Verdict.ABSTAIN
    assert routed.reasoning_summary == (
        "abstain 0.00 (every expert abstained) — broken: abstain (expert error: ValueError: bad json)"
    )


def test_route_when_veto_holder_raises_then_its_veto_is_lost_not_turned_into_confirm(
    make_signal: MakeSignal, stub: Any
) -> None:
    registry = ExpertRegistry([stub("skeptic", Verdict.VETO, can_veto=True, error=TimeoutError("slow"))])

    routed = Router(registry).route(make_signal())

    assert routed.verdict is Verdict.ABSTAIN


def test_route_when_no_expert_available_then_abstains_with_gate_reasons(make_signal: MakeSignal, stub: Any) -> None:
    registry = ExpertRegistry([stub("fundamental")], unavailable={"fundamental": LLM_OFF_REASON})

    routed = Router(registry).route(make_signal())

    assert routed.verdict is Verdict.ABSTAIN
    assert routed.opinions == ()
    assert routed.reasoning_summary == f"abstain 0.00 (no expert selected) — fundamental: {LLM_OFF_REASON}"


def test_route_batch_when_split_into_several_invocations_then_same_verdicts(
    router: Router, day: list[SignalGenerated]
) -> None:
    small_steps = default_router(RouterConfig(signals_per_invocation=3), llm_enabled=False)

    assert small_steps.route_batch(day) == router.route_batch(day)


def test_route_batch_when_only_symbolic_experts_selected_then_same_verdicts_as_the_langgraph_run(
    router: Router, day: list[SignalGenerated]
) -> None:
    # the in-order run of the graph's nodes (no LangGraph invocation) against the compiled graph itself
    inline = router.route_batch(day)
    state = {"signals": sorted(day, key=lambda s: s.signal_id), "regime": "unknown"}
    graphed = router._graph.invoke(state)["routed"]

    assert inline == graphed
    assert {o.expert for r in inline for o in r.opinions} <= set(SYMBOLIC)  # the in-order path was the one taken
