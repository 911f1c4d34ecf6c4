"""The oracle for the TrendBreakout kernel: the rules composed from whole-panel NumPy folds (`indicators`).

This is TrendBreakout as it was written before the fused kernel, kept verbatim in spirit: every window is
an `indicators` fold, so the kernel (same fold order) must match it bit for bit, entries and exits exactly.
"""

from __future__ import annotations

import numpy as np

from alphamoe.market.bars import Panel
from alphamoe.strategy.base import StrategySignals
from alphamoe.strategy.indicators import (
    at_limit_up,
    lag,
    pct_change,
    rolling_max,
    rolling_mean,
    rolling_std,
    rolling_sum,
    rsi,
)
from alphamoe.strategy.trend_breakout import FEATURE_KEYS, TrendBreakoutParams


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / b, np.nan)


def reference_signals(panel: Panel, p: TrendBreakoutParams | None = None) -> StrategySignals:
    p = p or TrendBreakoutParams()
    factor = panel.adjustment_factor()
    close, high = panel.close * factor, panel.high * factor
    with np.errstate(invalid="ignore", divide="ignore"):
        volume = panel.volume / factor
    traded = panel.traded

    def ma(w: int) -> np.ndarray:
        return rolling_mean(close, w)

    def prior_high(w: int) -> np.ndarray:
        return lag(rolling_max(high, w))

    def volume_ratio(w: int) -> np.ndarray:
        return _ratio(volume, lag(rolling_mean(volume, w)))

    ret_1d = pct_change(close, 1)
    limit_up = np.where(traded, at_limit_up(panel), False).astype(np.float64)
    features = {
        "ret_1d": ret_1d,
        "ret_5d": pct_change(close, 5),
        "ret_20d": pct_change(close, 20),
        "ma5_over_ma20": _ratio(ma(5), ma(20)) - 1.0,
        "close_over_ma20": _ratio(close, ma(20)) - 1.0,
        "breakout_margin": _ratio(close, prior_high(20)) - 1.0,
        "volume_ratio": volume_ratio(20),
        "amount_20d": rolling_mean(panel.amount, 20),
        "volatility_20d": rolling_std(ret_1d, 20),
        "rsi_14": rsi(close, 14),
        "limit_up_count_5d": rolling_sum(limit_up, 5),
        "gap_open": _ratio(panel.open, panel.prev_close) - 1.0,
    }
    features = {k: np.where(traded, features[k], np.nan) for k in FEATURE_KEYS}
    with np.errstate(invalid="ignore"):
        entries = (
            traded
            & (close > prior_high(p.breakout_window))
            & (ma(p.fast_ma) > ma(p.slow_ma))
            & (rolling_mean(panel.amount, p.liquidity_window) >= p.min_amount)
            & (volume_ratio(p.liquidity_window) >= p.min_volume_ratio)
            & (close >= ma(p.exit_ma))
        )
        exit_rule = traded & (close < ma(p.exit_ma))
    exits = np.zeros_like(entries)
    entered = np.full(entries.shape[1], -1)
    for t in range(entries.shape[0]):
        held = entered >= 0
        fire = held & traded[t] & (exit_rule[t] | (t - entered >= p.max_holding_days))
        exits[t] = fire
        entered[fire] = -1
        entered[(entered < 0) & entries[t] & ~fire] = t
    sigma = np.fmax(features["volatility_20d"], 0.005)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = (
            features["breakout_margin"] / sigma + features["ma5_over_ma20"] / sigma + np.log(features["volume_ratio"])
        )
    return StrategySignals(entries=entries & ~exits, exits=exits, score=score, features=features)
