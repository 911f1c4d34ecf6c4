"""LLM experts can only subtract (DESIGN.md §5): they veto, abstain or lower confidence, never add.

The aggregation over ballots, the kind each ballot counts as (from the registry), and the gate that keeps
every symbolic seat: together they bound any day with LLM experts by the same day without them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphamoe.events.payloads import ExpertOpinion, SignalGenerated
from alphamoe.router import Router, RouterConfig
from alphamoe.router.aggregate import Ballot, Decision, aggregate
from alphamoe.router.experts import ExpertRegistry, counted_kind
from alphamoe.router.symbolic import LiquidityExpert, RiskSkepticExpert, TrendExpert
from alphamoe.types import ExpertKind, Verdict

MakeSignal = Callable[..., SignalGenerated]
SYMBOLIC, LLM = ExpertKind.SYMBOLIC, ExpertKind.LLM
LLM_WEIGHTS = {"fundamental": 0.9, "sector": 0.85, "sentiment": 0.6}  # router/llm.py SPECS


def _ballot(
    expert: str,
    verdict: Verdict,
    confidence: float,
    *,
    kind: ExpertKind,
    weight: float = 1.0,
    can_veto: bool = False,
) -> Ballot:
    opinion = ExpertOpinion(expert=expert, kind=kind, verdict=verdict, confidence=confidence, reasoning="…")
    return Ballot(opinion=opinion, weight=weight, kind=kind, can_veto=can_veto)


def _compromised() -> list[Ballot]:
    """The three LLM experts of the standard panel, each answering "confirm 1.0"."""
    return [_ballot(name, Verdict.CONFIRM, 1.0, kind=LLM, weight=w) for name, w in LLM_WEIGHTS.items()]


# ---- the two findings of issue 17 ------------------------------------------------------------------------


def test_aggregate_when_three_llm_confirm_full_against_symbolic_trend_veto_then_still_vetoes() -> None:
    ballots = [
        _ballot("trend", Verdict.VETO, 0.70, kind=SYMBOLIC),
        _ballot("risk_skeptic", Verdict.ABSTAIN, 0.0, kind=SYMBOLIC, can_veto=True),
        *_compromised(),
    ]

    decision = aggregate(ballots, confirm_threshold=0.6)

    # before: confirm share 2.35 / 3.35 = 70% ≥ 60% turned the veto into a confirm at 0.70
    assert decision.verdict is Verdict.VETO
    assert decision.confidence == pytest.approx(0.70)
    assert decision.reasoning_summary.startswith("veto 0.70 (LLM experts cannot overturn the symbolic experts' veto)")


def test_aggregate_when_three_llm_confirm_full_over_symbolic_confirm_055_then_capped_at_055() -> None:
    ballots = [_ballot("trend", Verdict.CONFIRM, 0.55, kind=SYMBOLIC), *_compromised()]

    decision = aggregate(ballots, confirm_threshold=0.6)

    # before: the weighted mean (0.55 + 2.35) / 3.35 = 0.87 sized the order as if far surer
    assert decision.verdict is Verdict.CONFIRM
    assert decision.confidence == pytest.approx(0.55)
    assert decision.reasoning_summary.startswith("confirm 0.55 (LLM experts cannot raise: capped at symbolic 0.55)")


# ---- what an LLM verdict still can do --------------------------------------------------------------------


def test_aggregate_when_llm_vetoes_a_symbolic_confirm_then_veto_stands() -> None:
    ballots = [
        _ballot("trend", Verdict.CONFIRM, 0.8, kind=SYMBOLIC),
        _ballot("fundamental", Verdict.VETO, 0.9, kind=LLM, weight=0.9),
        _ballot("sector", Verdict.VETO, 0.9, kind=LLM, weight=0.85),
    ]

    decision = aggregate(ballots, confirm_threshold=0.6)

    assert decision.verdict is Verdict.VETO


def test_aggregate_when_llm_confirms_with_low_confidence_then_lowers_the_symbolic_confidence() -> None:
    symbolic = _ballot("trend", Verdict.CONFIRM, 0.8, kind=SYMBOLIC)
    alone = aggregate([symbolic], confirm_threshold=0.6)

    decision = aggregate([symbolic, _ballot("sector", Verdict.CONFIRM, 0.3, kind=LLM)], confirm_threshold=0.6)

    assert decision.verdict is Verdict.CONFIRM
    assert decision.confidence == pytest.approx((0.8 + 0.3) / 2)
    assert decision.confidence < alone.confidence
    assert "LLM experts" not in decision.reasoning_summary  # nothing was capped


def test_aggregate_when_symbolic_experts_abstain_then_llm_confirms_cannot_confirm() -> None:
    ballots = [_ballot("risk_skeptic", Verdict.ABSTAIN, 0.0, kind=SYMBOLIC, can_veto=True), *_compromised()]

    decision = aggregate(ballots, confirm_threshold=0.6)

    assert (decision.verdict, decision.confidence) == (Verdict.ABSTAIN, 0.0)
    assert "(LLM experts cannot overturn the symbolic experts' abstain: every expert abstained)" in (
        decision.reasoning_summary
    )


def test_aggregate_when_only_llm_experts_on_the_panel_then_never_confirms() -> None:
    decision = aggregate(_compromised(), confirm_threshold=0.6)

    assert decision.verdict is Verdict.ABSTAIN
    assert "no symbolic expert on the panel" in decision.reasoning_summary


def test_aggregate_when_llm_ballot_claims_a_veto_right_then_it_can_only_veto() -> None:
    ballots = [
        _ballot("trend", Verdict.CONFIRM, 0.9, kind=SYMBOLIC),
        _ballot("sector", Verdict.VETO, 0.6, kind=LLM, can_veto=True, weight=0.01),
    ]

    assert aggregate(ballots, confirm_threshold=0.6).verdict is Verdict.VETO


# ---- the property: with LLM experts ≤ the symbolic panel alone, for any answers ---------------------------

_verdicts = st.sampled_from(list(Verdict))
_confidences = st.floats(0.0, 1.0)
_weights = st.one_of(st.just(0.0), st.floats(0.0, 10.0))


@st.composite
def _panel(draw: st.DrawFn, n: int) -> tuple[list[Ballot], list[Ballot]]:
    # one signal's panel: any symbolic ballots, any LLM ballots (adversarial: any verdict, confidence 0–1,
    # weight, even a veto right the registry never grants), interleaved in any order
    def ballots(prefix: str, kind: ExpertKind, size: int) -> list[Ballot]:
        return [
            _ballot(
                f"{prefix}{i}.{n}",
                draw(_verdicts),
                draw(_confidences),
                kind=kind,
                weight=draw(_weights),
                can_veto=draw(st.booleans()),
            )
            for i in range(size)
        ]

    symbolic = ballots("symbolic", SYMBOLIC, draw(st.integers(0, 4)))
    llm = ballots("llm", LLM, draw(st.integers(0, 4)))
    return symbolic, draw(st.permutations([*symbolic, *llm]))


def _day(panels: Sequence[list[Ballot]], threshold: float) -> dict[int, Decision]:
    return {i: aggregate(ballots, confirm_threshold=threshold) for i, ballots in enumerate(panels)}


@settings(max_examples=400, deadline=None)
@given(
    day=st.integers(1, 6).flatmap(lambda n: st.tuples(*(_panel(i) for i in range(n)))),
    threshold=st.floats(0.01, 1.0),
)
def test_aggregate_for_any_llm_answers_then_confirmed_set_and_confidences_at_most_the_symbolic_panels(
    day: tuple[tuple[list[Ballot], list[Ballot]], ...], threshold: float
) -> None:
    alone = _day([symbolic for symbolic, _ in day], threshold)
    joined = _day([everyone for _, everyone in day], threshold)

    confirmed = {i for i, d in joined.items() if d.verdict is Verdict.CONFIRM}
    assert confirmed <= {i for i, d in alone.items() if d.verdict is Verdict.CONFIRM}
    for i in confirmed:
        assert joined[i].confidence <= alone[i].confidence
    for i, d in alone.items():  # and a symbolic veto is never overturned
        if d.verdict is Verdict.VETO:
            assert joined[i].verdict is Verdict.VETO


# ---- the router: the kind comes from the registry, and LLM experts never displace a symbolic one ---------


def test_route_when_llm_expert_claims_to_be_symbolic_then_counted_as_llm(make_signal: MakeSignal, stub: Any) -> None:
    registry = ExpertRegistry(
        [
            stub("trend", Verdict.VETO, confidence=0.7),
            *(stub(n, confidence=1.0, weight=w, kind=LLM, claims=SYMBOLIC) for n, w in LLM_WEIGHTS.items()),
        ]
    )

    routed = Router(registry, RouterConfig(top_k=4)).route(make_signal())

    assert {o.kind for o in routed.opinions} == {SYMBOLIC}  # what they wrote…
    assert routed.verdict is Verdict.VETO  # …is not what they count as
    assert "LLM experts cannot overturn the symbolic experts' veto" in routed.reasoning_summary


def test_counted_kind_when_opinion_is_an_llm_experts_symbolic_form_then_symbolic_else_registered_kind(
    stub: Any,
) -> None:
    llm, symbolic = stub("sentiment", kind=LLM), stub("trend")

    def opinion(kind: ExpertKind, **extra: Any) -> ExpertOpinion:
        return ExpertOpinion(expert="x", kind=kind, verdict=Verdict.CONFIRM, confidence=0.9, reasoning="…", **extra)

    assert counted_kind(llm, opinion(SYMBOLIC, fallback="no news on file: symbolic form judged")) is SYMBOLIC
    assert counted_kind(llm, opinion(SYMBOLIC)) is LLM  # no symbolic form named
    assert counted_kind(llm, opinion(SYMBOLIC, fallback="…", model="deepseek-reasoner")) is LLM  # a model answered
    assert counted_kind(llm, opinion(SYMBOLIC, fallback="…", call_key="k")) is LLM
    assert counted_kind(symbolic, opinion(SYMBOLIC)) is SYMBOLIC
    assert counted_kind(symbolic, opinion(LLM)) is LLM  # claiming to be a model only subtracts


def _standard_symbolic() -> list[Any]:
    config = RouterConfig()
    return [TrendExpert(config.trend), LiquidityExpert(config.liquidity), RiskSkepticExpert(config.risk_skeptic)]


@pytest.mark.parametrize("regime", ["unknown", "range", "trend"])
def test_route_when_llm_experts_outweigh_a_symbolic_one_then_it_keeps_its_seat(
    make_signal: MakeSignal, stub: Any, regime: str
) -> None:
    compromised = [stub(n, confidence=1.0, weight=w, kind=LLM) for n, w in LLM_WEIGHTS.items()]
    with_llm = Router(ExpertRegistry([*_standard_symbolic(), *compromised]))
    without = Router(ExpertRegistry(_standard_symbolic()))
    # thin: trend confirms, liquidity vetoes (a 56% confirm share: abstain); weak: trend vetoes a downtrend
    day = [
        make_signal("thin", amount_20d=9_000_000.0),
        make_signal("weak", ma5_over_ma20=-0.01, close_over_ma20=-0.02, ret_20d=-0.03),
        make_signal("healthy"),
    ]

    joined = {r.signal.signal_id: r for r in with_llm.route_batch(day, regime=regime)}
    alone = {r.signal.signal_id: r for r in without.route_batch(day, regime=regime)}

    for signal_id, r in joined.items():
        if r.verdict is Verdict.CONFIRM:
            assert alone[signal_id].verdict is Verdict.CONFIRM
            assert r.confidence <= alone[signal_id].confidence
    assert [joined[i].verdict for i in alone] == [alone[i].verdict for i in alone]
    if regime == "unknown":  # before: fundamental (0.9) pushed liquidity (0.8) out, and the thin stock confirmed
        assert alone["thin"].verdict is Verdict.ABSTAIN
    assert joined["healthy"].verdict is Verdict.CONFIRM
    for signal_id, r in joined.items():
        symbolic_seats = {c.expert for c in alone[signal_id].gate if c.selected}
        assert {c.expert for c in r.gate if c.selected} >= symbolic_seats
