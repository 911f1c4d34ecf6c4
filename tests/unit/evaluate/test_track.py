"""Track records: point in time by board and regime, and the opt-in gate multipliers they earn."""

from __future__ import annotations

import pytest

from alphamoe.evaluate.track import (
    TRACK_HORIZON,
    ScoredVerdict,
    expert_summaries,
    multiplier,
    track_multipliers,
    track_records,
)
from alphamoe.router.config import GateWeights, RouterConfig, RouteSettings
from alphamoe.router.defaults import default_registry
from alphamoe.router.gate import weight_for


def _verdicts(expert: str, row: int, n: int, right: int) -> list[ScoredVerdict]:
    return [ScoredVerdict(expert, "main", "up", row, True, 0.8, 0.01 if k < right else -0.01) for k in range(n)]


def test_track_records_when_as_of_then_only_outcomes_known_by_that_row_count() -> None:
    scored = [*_verdicts("fundamental", 10, 4, 4), *_verdicts("fundamental", 12, 4, 0)]
    (early,) = track_records(scored, as_of=10 + TRACK_HORIZON)
    assert (early.n, early.hit_rate) == (4, 1.0)  # row 12's outcomes are not known yet at row 15
    (full,) = track_records(scored)
    assert (full.n, full.hit_rate) == (8, 0.5) and full.brier == pytest.approx((4 * 0.2**2 + 4 * 0.8**2) / 8)
    assert track_records(scored, as_of=10 + TRACK_HORIZON - 1) == []


def test_multiplier_when_record_short_then_shrunk_towards_one() -> None:
    (short,) = track_records(_verdicts("sector", 0, 5, 5))
    (long,) = track_records(_verdicts("sector", 0, 200, 200))
    (bad,) = track_records(_verdicts("sector", 0, 200, 0))
    assert 1.0 < multiplier(short) < multiplier(long) <= 1.75 and 0.25 <= multiplier(bad) < 1.0


def test_gate_when_track_record_weights_then_expert_weight_multiplied_on_that_board_and_regime() -> None:
    registry = default_registry(RouterConfig(), llm_enabled=False)
    trend = registry.get("trend")
    plain = GateWeights(by_regime={})
    table = track_multipliers(track_records(_verdicts("trend", 0, 200, 200)))
    weighted = GateWeights(by_regime={}, by_track_record=table)
    base, _ = weight_for(trend, "trend_breakout", "main", plain, "up")
    up, terms = weight_for(trend, "trend_breakout", "main", weighted, "up")
    assert up == base * table["main/up"]["trend"] and "track record main/up" in terms
    assert weight_for(trend, "trend_breakout", "main", weighted, "down")[0] == base  # another regime: unchanged


def test_route_settings_when_not_set_then_track_record_weights_off() -> None:
    assert RouteSettings().track_record_weights is False
    assert RouteSettings.model_validate({"track_record_weights": True}).track_record_weights


def test_expert_summaries_when_vetoes_fell_then_veto_hit_rate_and_calibration_per_expert() -> None:
    scored = [
        ScoredVerdict("sector", "main", "up", 0, False, 0.9, -0.02),
        ScoredVerdict("sector", "star", "down", 1, False, 0.9, 0.01),
        ScoredVerdict("sector", "main", "up", 2, True, 0.6, 0.03),
        ScoredVerdict("sector", "main", "up", 3, True, 0.6, float("nan")),  # past the data: not scored
    ]
    (summary,) = expert_summaries(scored)
    assert (summary.n, summary.vetoes, summary.veto_hit_rate) == (3, 2, 0.5)
    assert summary.hit_rate == pytest.approx(2 / 3)
    assert [(b.low, b.n, b.hit_rate) for b in summary.calibration] == [(0.6, 1, 1.0), (0.9, 2, 0.5)]
