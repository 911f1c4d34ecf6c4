"""TrendBreakout: buy a liquid stock in an uptrend on the day it closes above its prior N-day high.

Entry at row t (decided at t's close, traded at the next session's open), all on adjusted prices:
  close_t > max(high_{t−N … t−1})             breakout; the window is shifted, so t's own high is not in it
  MA_fast_t > MA_slow_t                        trend (MA5 > MA20)
  mean(amount_{t−L+1 … t}) ≥ min_amount        liquidity: 20-day average turnover, CNY
  volume_t / mean(volume_{t−L … t−1}) ≥ 1.2    volume confirms (the average excludes day t)
  close_t ≥ MA_exit_t                          never an entry on a day the exit rule holds
Exit at row t while the strategy's own simulated position is open: close_t < MA10, or `max_holding_days`
sessions since the entry signal. The position path is the one the VectorBT backtest takes, so the scan's
exits fire for holdings that this strategy's entries opened.

Score (higher is better): breakout_margin / σ + ma5_over_ma20 / σ + log(volume_ratio), with
σ = max(volatility_20d, 0.5%): margins are measured in the stock's own daily volatility, so a volatile
name needs a larger breakout to rank first, and the volume term saturates.

Features (T×N, NaN where the stock has no bar; the router's experts read exactly these keys):
  ret_1d, ret_5d, ret_20d   close_t / close_{t−k} − 1 (adjusted)
  ma5_over_ma20             MA5 / MA20 − 1
  close_over_ma20           close / MA20 − 1
  breakout_margin           close / prior 20-day high − 1 (window t−20 … t−1)
  volume_ratio              volume / average volume of the prior 20 sessions (split-adjusted volume)
  amount_20d                20-day average amount, CNY (raw: turnover needs no adjustment)
  volatility_20d            sample std of daily adjusted returns over 20 days
  rsi_14                    simple-average RSI over 14 changes, 0…100
  limit_up_count_5d         closes at limit-up in the last 5 sessions (suspended days count 0); limit-up
                            is the rule book's band per board, ST status and listing day, prev_close ×
                            (1 + band) rounded half up to the tick (`indicators.limit_up_prices`)
  gap_open                  open / prev_close − 1 of the bar, raw (the exchange's ex-rights prev_close)
Windows with a suspended day give NaN (see `indicators`), and NaN fails every entry test.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import ClassVar

import numpy as np
from pydantic import Field

from alphamoe.market.bars import BoolArray, FloatArray, Panel
from alphamoe.strategy.base import Strategy, StrategyParams, StrategySignals
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

FEATURE_KEYS = (
    "ret_1d",
    "ret_5d",
    "ret_20d",
    "ma5_over_ma20",
    "close_over_ma20",
    "breakout_margin",
    "volume_ratio",
    "amount_20d",
    "volatility_20d",
    "rsi_14",
    "limit_up_count_5d",
    "gap_open",
)
MIN_SCORE_VOLATILITY = 0.005


class TrendBreakoutParams(StrategyParams):
    """Parameters of TrendBreakout; the defaults are the classic 20-day breakout with MA5/MA20 trend."""

    breakout_window: int = Field(20, ge=2, description="N of the prior N-day high")
    fast_ma: int = Field(5, ge=1, description="trend: fast moving average, sessions")
    slow_ma: int = Field(20, ge=2, description="trend: slow moving average, sessions")
    exit_ma: int = Field(10, ge=1, description="exit when the close falls below this moving average")
    liquidity_window: int = Field(20, ge=1, description="sessions of the average amount and volume")
    min_amount: float = Field(20_000_000.0, ge=0, description="minimum average amount, CNY")
    min_volume_ratio: float = Field(1.2, ge=0, description="volume / prior average volume")
    max_holding_days: int = Field(10, ge=1, description="exit this many sessions after the entry signal")


class TrendBreakout(Strategy):
    """Trend + breakout with a liquidity filter; see the module docstring for every rule and feature."""

    name: ClassVar[str] = "trend_breakout"
    Params: ClassVar[type[StrategyParams]] = TrendBreakoutParams
    params: TrendBreakoutParams

    def signals(self, panel: Panel) -> StrategySignals:
        p = self.params
        factor = panel.adjustment_factor()
        close, high = panel.close * factor, panel.high * factor
        with np.errstate(invalid="ignore", divide="ignore"):
            volume = panel.volume / factor  # split-adjusted: a 10-for-10 bonus doubles shares, not interest
        traded = panel.traded

        @cache
        def ma(window: int) -> FloatArray:
            return rolling_mean(close, window)

        @cache
        def prior_high(window: int) -> FloatArray:
            return lag(rolling_max(high, window))

        @cache
        def volume_ratio(window: int) -> FloatArray:
            return _ratio(volume, lag(rolling_mean(volume, window)))

        features = _features(panel, close, ma, prior_high, volume_ratio)
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
        exits = _position_exits(entries, exit_rule, traded, p.max_holding_days)
        return StrategySignals(
            entries=entries & ~exits,
            exits=exits,
            score=_score(features),
            features=features,
        )


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(denominator > 0, numerator / denominator, np.nan)
    return out


def _features(
    panel: Panel,
    close: FloatArray,
    ma: Callable[[int], FloatArray],
    prior_high: Callable[[int], FloatArray],
    volume_ratio: Callable[[int], FloatArray],
) -> dict[str, FloatArray]:
    ret_1d = pct_change(close, 1)
    limit_up = np.where(panel.traded, at_limit_up(panel), False).astype(np.float64)
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
    untraded = ~panel.traded
    return {key: np.where(untraded, np.nan, features[key]) for key in FEATURE_KEYS}


def _score(features: dict[str, FloatArray]) -> FloatArray:
    sigma = np.fmax(features["volatility_20d"], MIN_SCORE_VOLATILITY)
    with np.errstate(invalid="ignore", divide="ignore"):
        score: FloatArray = (
            features["breakout_margin"] / sigma + features["ma5_over_ma20"] / sigma + np.log(features["volume_ratio"])
        )
    return score


def _position_exits(entries: BoolArray, exit_rule: BoolArray, traded: BoolArray, max_holding_days: int) -> BoolArray:
    # Walk the strategy's own long/flat path row by row (vectorised over stocks): an exit fires only while
    # a position is open, on a traded row, when the exit rule holds or the holding period has run out.
    exits = np.zeros_like(entries)
    entered = np.full(entries.shape[1], -1)  # row of the open position's entry signal, -1 = flat
    for t in range(entries.shape[0]):
        held = entered >= 0
        fire = held & traded[t] & (exit_rule[t] | (t - entered >= max_holding_days))
        exits[t] = fire
        entered[fire] = -1
        opened = (entered < 0) & entries[t] & ~fire
        entered[opened] = t
    return exits
