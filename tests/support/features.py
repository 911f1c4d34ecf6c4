"""The scan's twelve features for a healthy uptrend breakout: every symbolic expert has something to say."""

from __future__ import annotations

HEALTHY = {
    "ret_1d": 0.021,
    "ret_5d": 0.048,
    "ret_20d": 0.124,
    "ma5_over_ma20": 0.031,
    "close_over_ma20": 0.04,
    "breakout_margin": 0.012,
    "volume_ratio": 1.6,
    "amount_20d": 350_000_000.0,
    "volatility_20d": 0.021,
    "rsi_14": 66.0,
    "limit_up_count_5d": 0.0,
    "gap_open": 0.004,
}
