"""Scoring an arm: passed-over picks, calibration buckets, the style regression."""

from __future__ import annotations

import numpy as np
import pytest

from alphamoe.evaluate.outcomes import forward_returns, regimes
from alphamoe.evaluate.scoring import attribution, calibration, passed_over, right


def test_passed_over_when_vetoed_picks_fell_then_hit_rate_counts_falls_and_flats() -> None:
    passed = np.array([True, True, True, False, False])
    returns = {5: np.array([-0.02, 0.0, 0.03, 0.01, np.nan])}
    (score,) = passed_over(passed, ~passed, returns)
    assert score.n == 3 and score.hit_rate == pytest.approx(2 / 3)
    assert score.mean_return == pytest.approx(0.01 / 3) and score.confirmed_mean_return == pytest.approx(0.01)


def test_calibration_when_bucketed_then_realised_hit_rate_per_confidence_band() -> None:
    confidence = np.array([0.55, 0.58, 0.95, 1.0])
    correct = right(np.array([True, False, True, True]), np.array([0.01, 0.02, -0.01, 0.03]))
    buckets = calibration(confidence, correct)
    assert [(b.low, b.n, b.hit_rate) for b in buckets] == [(0.5, 2, 0.5), (0.9, 2, 0.5)]


def test_attribution_when_returns_are_known_mix_of_factors_then_betas_and_alpha_recovered() -> None:
    rng = np.random.default_rng(3)
    factors = {name: rng.normal(0, 0.01, 300) for name in ("market", "size", "momentum")}
    returns = 0.0004 + 0.8 * factors["market"] - 0.3 * factors["size"] + 0.5 * factors["momentum"]
    fit = attribution(returns, factors)
    assert fit is not None and fit.days == 300 and fit.r_squared == pytest.approx(1.0)
    assert fit.betas == pytest.approx({"market": 0.8, "size": -0.3, "momentum": 0.5})
    assert fit.alpha_annual == pytest.approx(0.0004 * 252)


def test_forward_returns_when_past_the_end_then_nan() -> None:
    closes = np.array([[10.0], [11.0], [12.1]])
    out = forward_returns(closes, np.array([0, 1]), np.array([0, 0]), 1)
    assert out[0] == pytest.approx(0.1) and out[1] == pytest.approx(0.1)
    assert np.isnan(forward_returns(closes, np.array([2]), np.array([0]), 1)[0])


def test_regimes_when_benchmark_rose_over_20_sessions_then_up_else_down() -> None:
    bench = np.concatenate([np.linspace(100, 120, 25), np.linspace(120, 90, 25)])
    found = regimes(bench)
    assert found[:20] == ["unknown"] * 20 and found[24] == "up" and found[-1] == "down"
