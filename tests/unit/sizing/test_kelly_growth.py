"""Why the Kelly fraction is ½: with p, b from the shrunk estimator, simulated growth of fractional Kelly has
smaller drawdowns than full Kelly and than a fixed 10% bet, and keeps most of full Kelly's growth."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alphamoe.sizing.kelly import kelly_fraction
from alphamoe.strategy.stats import ClosedTrades, kelly_stats

STOP = 0.05  # a loss costs the stake's 5%; a win pays b times that


def path(fraction: float, wins: np.ndarray, payoff: float) -> tuple[float, float]:
    """Return (log growth, max drawdown) of betting `fraction` of equity on each outcome (win pays `payoff`)."""
    steps = np.where(wins, 1.0 + fraction * payoff, 1.0 - fraction)
    log_equity = np.concatenate([[0.0], np.cumsum(np.log(steps))])
    peak = np.maximum.accumulate(log_equity)
    return float(log_equity[-1]), float(1.0 - np.exp((log_equity - peak).min()))


def shrunk_estimates(rng: np.random.Generator, p_true: np.ndarray, b_true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Draw each strategy's short trade history and return the estimator's shrunk p and b."""
    columns, returns = [], []
    for i, (p, b) in enumerate(zip(p_true, b_true, strict=True)):
        n = int(rng.integers(8, 60))
        won = rng.random(n) < p
        size = STOP * rng.lognormal(0.0, 0.3, n)
        returns.append(np.where(won, b * size, -size))
        columns.append(np.full(n, i))
    column = np.concatenate(columns).astype(np.int64)
    trades = ClosedTrades(column=column, entry_row=column * 0, exit_row=column * 0 + 1, ret=np.concatenate(returns))
    stats = kelly_stats(trades, tuple(f"s{i}" for i in range(len(p_true))))
    return stats.p_win, stats.payoff


def test_simulated_growth_when_half_kelly_on_shrunk_estimates_then_least_drawdown_and_most_of_the_growth() -> None:
    rng = np.random.default_rng(20240603)
    n_strategies, n_bets = 400, 250
    p_true, b_true = rng.uniform(0.42, 0.60, n_strategies), rng.uniform(0.8, 1.6, n_strategies)
    p_hat, b_hat = shrunk_estimates(rng, p_true, b_true)
    results: dict[str, list[tuple[float, float]]] = {"full": [], "half": [], "fixed": []}
    for i in range(n_strategies):
        wins = rng.random(n_bets) < p_true[i]
        full = kelly_fraction(float(p_hat[i]), float(b_hat[i]))
        results["full"].append(path(full, wins, b_true[i]))
        results["half"].append(path(0.5 * full, wins, b_true[i]))
        results["fixed"].append(path(0.10, wins, b_true[i]))
    drawdown = {k: float(np.mean([dd for _, dd in v])) for k, v in results.items()}
    growth = {k: float(np.mean([g for g, _ in v])) for k, v in results.items()}
    assert drawdown["half"] < drawdown["full"]
    assert drawdown["half"] < drawdown["fixed"]
    # pathwise, too: the same outcomes never draw half Kelly down further than full Kelly
    assert all(h[1] <= f[1] + 1e-12 for h, f in zip(results["half"], results["full"], strict=True))
    # half Kelly keeps most of full Kelly's growth (3/4 in theory) and beats the fixed bet, which also
    # bets on the strategies without an edge
    assert growth["half"] >= 0.6 * growth["full"]
    assert growth["half"] > growth["fixed"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.booleans(), min_size=1, max_size=300),
    st.floats(0.01, 0.95),
    st.floats(0.05, 0.95),
    st.floats(0.2, 5.0),
)
def test_drawdown_when_fraction_scaled_down_then_never_larger_on_the_same_outcomes(
    outcomes: list[bool], fraction: float, scale: float, payoff: float
) -> None:
    wins = np.array(outcomes)
    _, big = path(fraction, wins, payoff)
    _, small = path(fraction * scale, wins, payoff)
    assert small <= big + 1e-12
    if not all(outcomes):
        assert small < big or math.isclose(small, big, abs_tol=1e-12)
