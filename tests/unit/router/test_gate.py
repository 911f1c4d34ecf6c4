from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alphamoe.errors import ConfigurationError
from alphamoe.events.payloads import ExpertOpinion, SignalGenerated
from alphamoe.router.config import GateWeights, RouterConfig
from alphamoe.router.defaults import default_registry
from alphamoe.router.experts import Competence, ExpertRegistry
from alphamoe.router.gate import choose_experts
from alphamoe.router.llm import LLM_OFF_REASON
from alphamoe.types import Board, ExpertKind, Verdict

MakeSignal = Callable[..., SignalGenerated]
CONFIG = RouterConfig()


def _selected(choices: tuple[Any, ...]) -> list[str]:
    return [c.expert for c in choices if c.selected]


def test_choose_experts_when_llm_off_then_selects_symbolic_and_records_llm_as_off(make_signal: MakeSignal) -> None:
    registry = default_registry(CONFIG, llm_enabled=False)

    choices = choose_experts(make_signal(), registry, CONFIG)

    assert sorted(c.expert for c in choices) == sorted(registry.names)
    assert set(_selected(choices)) == {"trend", "liquidity", "risk_skeptic"}
    llm = {c.expert: c for c in choices if registry.get(c.expert).kind is ExpertKind.LLM}
    assert set(llm) == {"fundamental", "sentiment", "sector"}
    assert all(not c.selected and c.weight == 0 and c.why == LLM_OFF_REASON for c in llm.values())


class _Situational:
    """A stub expert that may be unable to judge today, for a reason of its own (no evidence, budget spent)."""

    kind = ExpertKind.LLM
    can_veto = False

    def __init__(self, name: str, gap: str | None, *, weight: float) -> None:
        self.name, self.gap, self.weight, self.competence = name, gap, weight, Competence()

    def situation_gap(self, signal: SignalGenerated) -> str | None:
        return self.gap

    def judge(self, signal: SignalGenerated) -> ExpertOpinion:
        return ExpertOpinion(expert=self.name, kind=self.kind, verdict=Verdict.CONFIRM, confidence=0.5, reasoning="x")


def test_choose_experts_when_expert_has_situation_gap_then_passed_over_with_reason(make_signal: MakeSignal) -> None:
    registry = ExpertRegistry(
        [
            _Situational("fundamental", "no fundamentals on file", weight=2.0),
            _Situational("sector", None, weight=1.5),
            _Situational("trend", None, weight=1.0),
            _Situational("liquidity", None, weight=0.5),
        ]
    )

    choices = choose_experts(make_signal(), registry, RouterConfig(top_k=2))

    assert _selected(choices) == ["sector", "trend"]
    left_out = {c.expert: c for c in choices if not c.selected}
    assert left_out["fundamental"].why == "no fundamentals on file" and left_out["fundamental"].weight == 0


def test_choose_experts_when_top_k_two_then_heaviest_two_selected_in_rank_order(make_signal: MakeSignal) -> None:
    config = RouterConfig(top_k=2)
    registry = default_registry(config, llm_enabled=False)

    choices = choose_experts(make_signal(), registry, config, regime="trend")

    assert _selected(choices) == ["trend", "risk_skeptic"]  # 1.00 × 1.25, then 1.00
    liquidity = next(c for c in choices if c.expert == "liquidity")
    assert liquidity.weight == pytest.approx(0.8)
    assert liquidity.why == "rank 3 of 3, weight 0.80 = base 0.80: outside the top 2"
    assert choices[0].why == "rank 1 of 3, weight 1.25 = base 1.00 × regime trend ×1.25"


def test_choose_experts_when_range_regime_then_trend_drops_out(make_signal: MakeSignal) -> None:
    config = RouterConfig(top_k=2)
    registry = default_registry(config, llm_enabled=False)

    choices = choose_experts(make_signal(), registry, config, regime="range")

    assert _selected(choices) == ["risk_skeptic", "liquidity"]  # 1.25, 0.80 > trend 0.75


def test_choose_experts_when_board_and_strategy_multipliers_then_weights_multiply(make_signal: MakeSignal) -> None:
    weights = GateWeights(base={"trend": 2.0}, by_strategy={"trend_breakout": {"trend": 0.5}})
    config = RouterConfig(weights=weights)
    registry = default_registry(config, llm_enabled=False)

    choices = choose_experts(make_signal(board=Board.BSE, symbol="830799.BJ"), registry, config, regime="trend")

    weight = {c.expert: c.weight for c in choices}
    assert weight["trend"] == pytest.approx(2.0 * 0.5 * 1.25)
    assert weight["liquidity"] == pytest.approx(0.8 * 1.25)  # BSE is thin: liquidity counts more


def test_choose_experts_when_multiplier_zero_then_expert_switched_off(make_signal: MakeSignal) -> None:
    config = RouterConfig(weights=GateWeights(by_strategy={"trend_breakout": {"liquidity": 0.0}}))
    registry = default_registry(config, llm_enabled=False)

    choices = choose_experts(make_signal(), registry, config)

    liquidity = next(c for c in choices if c.expert == "liquidity")
    assert not liquidity.selected
    assert liquidity.why == "weight 0 (base 0.80 × strategy trend_breakout ×0.00): switched off here"


def test_choose_experts_when_expert_not_competent_for_board_then_left_out_with_reason(
    make_signal: MakeSignal, stub: Any
) -> None:
    registry = ExpertRegistry([stub("star_only", competence=Competence(boards=frozenset({"star"}))), stub("any")])

    choices = choose_experts(make_signal(), registry, CONFIG)

    assert _selected(choices) == ["any"]
    assert choices[1].why == "not competent for board 'main'"


def test_choose_experts_when_expert_not_competent_for_strategy_then_left_out(
    make_signal: MakeSignal, stub: Any
) -> None:
    registry = ExpertRegistry([stub("reversal", competence=Competence(strategies=frozenset({"mean_reversion"})))])

    (choice,) = choose_experts(make_signal(), registry, CONFIG)

    assert not choice.selected
    assert choice.why == "not competent for strategy 'trend_breakout'"


def test_choose_experts_when_weights_tie_then_name_breaks_tie_deterministically(
    make_signal: MakeSignal, stub: Any
) -> None:
    registry = ExpertRegistry([stub(name) for name in ("delta", "alpha", "charlie", "bravo")])

    choices = choose_experts(make_signal(), registry, CONFIG)

    assert _selected(choices) == ["alpha", "bravo", "charlie"]
    assert [c.expert for c in choices] == ["alpha", "bravo", "charlie", "delta"]


def test_registry_when_name_registered_twice_then_configuration_error(stub: Any) -> None:
    with pytest.raises(ConfigurationError, match="'trend' registered twice"):
        ExpertRegistry([stub("trend"), stub("trend")])


def test_registry_when_unavailable_names_unknown_expert_then_configuration_error(stub: Any) -> None:
    with pytest.raises(ConfigurationError, match="ghost"):
        ExpertRegistry([stub("trend")], unavailable={"ghost": "gone"})
