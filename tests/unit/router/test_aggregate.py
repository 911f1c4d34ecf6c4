from __future__ import annotations

import pytest

from alphamoe.events.payloads import ExpertOpinion, GateChoice
from alphamoe.router.aggregate import Ballot, aggregate
from alphamoe.types import ExpertKind, Verdict


def _ballot(
    expert: str,
    verdict: Verdict,
    confidence: float = 0.8,
    *,
    weight: float = 1.0,
    can_veto: bool = False,
    kind: ExpertKind = ExpertKind.SYMBOLIC,
) -> Ballot:
    opinion = ExpertOpinion(
        expert=expert, kind=kind, verdict=verdict, confidence=confidence, reasoning=f"{expert} reasons"
    )
    return Ballot(opinion=opinion, weight=weight, kind=kind, can_veto=can_veto)


def test_aggregate_when_veto_holder_vetoes_then_veto_wins_over_confirms() -> None:
    ballots = [
        _ballot("trend", Verdict.CONFIRM, 0.9, weight=3.0),
        _ballot("liquidity", Verdict.CONFIRM, 0.9, weight=3.0),
        _ballot("risk_skeptic", Verdict.VETO, 0.7, weight=0.1, can_veto=True),
    ]

    decision = aggregate(ballots, confirm_threshold=0.6)

    assert decision.verdict is Verdict.VETO
    assert decision.confidence == pytest.approx(0.7)
    assert decision.reasoning_summary.startswith("veto 0.70 (hard veto by risk_skeptic) — trend: confirm")


def test_aggregate_when_expert_without_veto_right_vetoes_then_it_is_only_a_vote() -> None:
    ballots = [
        _ballot("trend", Verdict.CONFIRM, 0.8, weight=1.25),
        _ballot("liquidity", Verdict.VETO, 0.9, weight=0.8),
    ]

    decision = aggregate(ballots, confirm_threshold=0.6)

    share = 1.25 / (1.25 + 0.8)
    assert share >= 0.6
    assert decision.verdict is Verdict.CONFIRM
    assert decision.confidence == pytest.approx(0.8 * share)


def test_aggregate_when_confirm_share_below_threshold_then_abstains_as_split() -> None:
    ballots = [_ballot("trend", Verdict.CONFIRM, weight=1.0), _ballot("liquidity", Verdict.VETO, weight=1.0)]

    decision = aggregate(ballots, confirm_threshold=0.6)

    assert decision.verdict is Verdict.ABSTAIN
    assert decision.confidence == 0.0
    assert "split vote: confirm share 50% under 60%" in decision.reasoning_summary


def test_aggregate_when_veto_share_reaches_threshold_then_vetoes() -> None:
    ballots = [
        _ballot("trend", Verdict.VETO, 0.6, weight=1.0),
        _ballot("liquidity", Verdict.VETO, 1.0, weight=1.0),
        _ballot("sector", Verdict.CONFIRM, 0.9, weight=0.5),
    ]

    decision = aggregate(ballots, confirm_threshold=0.6)

    assert decision.verdict is Verdict.VETO
    assert decision.confidence == pytest.approx(0.8 * (2.0 / 2.5))


def test_aggregate_when_confirms_with_abstentions_then_abstentions_do_not_dilute_share() -> None:
    ballots = [
        _ballot("trend", Verdict.CONFIRM, 0.6, weight=2.0),
        _ballot("liquidity", Verdict.CONFIRM, 0.9, weight=1.0),
        _ballot("risk_skeptic", Verdict.ABSTAIN, 0.0, weight=1.0, can_veto=True),
    ]

    decision = aggregate(ballots, confirm_threshold=0.6)

    assert decision.verdict is Verdict.CONFIRM
    assert decision.confidence == pytest.approx((2.0 * 0.6 + 1.0 * 0.9) / 3.0)
    assert decision.reasoning_summary == (
        "confirm 0.70 — trend: confirm (trend reasons); liquidity: confirm (liquidity reasons); "
        "risk_skeptic: abstain (risk_skeptic reasons)"
    )


def test_aggregate_when_all_abstain_then_abstains_naming_each_expert() -> None:
    ballots = [_ballot("trend", Verdict.ABSTAIN, 0.0), _ballot("liquidity", Verdict.ABSTAIN, 0.0)]

    decision = aggregate(ballots, confirm_threshold=0.6)

    assert decision.verdict is Verdict.ABSTAIN
    assert decision.confidence == 0.0
    assert decision.reasoning_summary == (
        "abstain 0.00 (every expert abstained) — trend: abstain (trend reasons); liquidity: abstain (liquidity reasons)"
    )


def test_aggregate_when_no_expert_selected_then_abstains_with_gate_reasons() -> None:
    gate = [GateChoice(expert="fundamental", weight=0.0, selected=False, why="LLM experts are off")]

    decision = aggregate([], confirm_threshold=0.6, gate=gate)

    assert decision.verdict is Verdict.ABSTAIN
    assert decision.reasoning_summary == "abstain 0.00 (no expert selected) — fundamental: LLM experts are off"


@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.9, 1.0])
def test_aggregate_when_unanimous_confirm_then_confirms_at_any_threshold(threshold: float) -> None:
    decision = aggregate([_ballot("trend", Verdict.CONFIRM, 0.75)], confirm_threshold=threshold)

    assert decision.verdict is Verdict.CONFIRM
    assert decision.confidence == pytest.approx(0.75)


def test_aggregate_when_ballots_arrive_in_another_order_then_exactly_the_same_confidence() -> None:
    # float sums depend on their order ((0.1 + 0.2) + 0.3 != 0.1 + (0.2 + 0.3)); the symbolic panel taken out of
    # a mixed panel must vote exactly as the symbolic panel alone, or "LLM experts only subtract" fails by an ulp
    ballots = [
        _ballot("a", Verdict.CONFIRM, 0.7, weight=0.1),
        _ballot("b", Verdict.CONFIRM, 0.9, weight=0.2),
        _ballot("c", Verdict.CONFIRM, 0.3, weight=0.3),
        _ballot("d", Verdict.VETO, 0.6, weight=0.07),
    ]
    orders = [ballots, ballots[::-1], [ballots[2], ballots[0], ballots[3], ballots[1]]]

    confidences = {aggregate(o, confirm_threshold=0.5).confidence for o in orders}

    assert len(confidences) == 1
