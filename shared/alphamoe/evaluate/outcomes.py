"""What happened after a decision: forward returns of picks, the market's regime, the style factors' returns.

Scoring only: a pick decided on row t (before session t+1 opens) is scored by its adjusted close h
sessions on (row t+h) over its close at t. The value exists only once row t+h has closed, so the
track records (evaluate.track) may use it from row t+h on, never before.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from alphamoe.market.bars import Panel

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
HORIZONS = (1, 5, 20)
"""Sessions after the decision over which a verdict is scored."""
TREND_WINDOW = 20
"""Sessions of the benchmark's trend that name the regime: "up" when it rose over them, else "down"."""


def adjusted_closes(panel: Panel) -> FloatArray:
    """Return the adjusted closes, each suspension filled with the last close before it."""
    closes: FloatArray = pd.DataFrame(panel.adjusted(panel.close)).ffill().to_numpy(dtype=np.float64)
    return closes


def forward_returns(closes: FloatArray, rows: IntArray, cols: IntArray, horizon: int) -> FloatArray:
    """Return each pick's return from row t's close to row t+h's; NaN past the panel's end or without a close."""
    ahead = rows + horizon
    inside = ahead < closes.shape[0]
    out = np.full(len(rows), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[inside] = closes[ahead[inside], cols[inside]] / closes[rows[inside], cols[inside]] - 1.0
    return out


def daily_returns(closes: FloatArray) -> FloatArray:
    """Return each stock's daily return (row 0 NaN)."""
    previous = np.vstack([np.full((1, closes.shape[1]), np.nan), closes[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        change: FloatArray = closes / previous - 1.0
    return change


def regimes(benchmark: FloatArray) -> list[str]:
    """Return each row's regime from the benchmark's closes up to that row: "up", "down" or "unknown"."""
    out = ["unknown"] * len(benchmark)
    for t in range(TREND_WINDOW, len(benchmark)):
        before, now = benchmark[t - TREND_WINDOW], benchmark[t]
        if np.isfinite(before) and np.isfinite(now) and before > 0:
            out[t] = "up" if now > before else "down"
    return out


def style_factors(panel: Panel, closes: FloatArray) -> dict[str, FloatArray]:
    """Return each row's factor returns: market (equal weight), size (small − big by 20-day turnover, a cap
    proxy) and momentum (winners − losers by 20-day return), both as top minus bottom thirds, ranked on the
    row before (known when the row's return begins)."""
    change = daily_returns(closes)
    finite = np.isfinite(change)
    counts = finite.sum(axis=1)
    market = np.where(counts > 0, np.where(finite, change, 0.0).sum(axis=1) / np.maximum(counts, 1), 0.0)
    amount = pd.DataFrame(panel.amount).rolling(TREND_WINDOW, min_periods=5).mean().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        size_score = -np.log(np.where(amount > 0, amount, np.nan))
        momentum_score = closes / np.vstack([np.full((TREND_WINDOW, closes.shape[1]), np.nan), closes[:-TREND_WINDOW]])
    return {
        "market": market,
        "size": _spread(size_score, change),
        "momentum": _spread(momentum_score, change),
    }


def _spread(score: FloatArray, change: FloatArray) -> FloatArray:
    # top third minus bottom third of row t−1's score, in row t's returns
    out = np.zeros(change.shape[0])
    for t in range(1, change.shape[0]):
        ranked = score[t - 1]
        ok = np.isfinite(ranked) & np.isfinite(change[t])
        if ok.sum() < 6:
            continue
        order = np.argsort(ranked[ok], kind="stable")
        third = len(order) // 3
        values = change[t][ok][order]
        out[t] = float(values[-third:].mean() - values[:third].mean())
    return out
