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

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field

from alphamoe.market.bars import Panel
from alphamoe.strategy.base import LatestSignals, Strategy, StrategyParams, StrategySignals
from alphamoe.strategy.indicators import limit_up_hits

if TYPE_CHECKING:
    from alphamoe.strategy.stats import ClosedTrades

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
LIMIT_COUNT_WINDOW = 5


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
    """Trend + breakout with a liquidity filter; see the module docstring for every rule and feature.

    One fused numba kernel (`kernels.trend_breakout_kernel`) computes it for the backtest (every row)
    and for the scan (`latest`: entries and exits of every row, score and features of the last).
    """

    name: ClassVar[str] = "trend_breakout"
    Params: ClassVar[type[StrategyParams]] = TrendBreakoutParams
    params: TrendBreakoutParams

    def signals(self, panel: Panel) -> StrategySignals:
        entries, exits, score, features = self._run(panel, first_feature_row=0)
        return StrategySignals(
            entries=entries, exits=exits, score=score, features=dict(zip(FEATURE_KEYS, features, strict=True))
        )

    def latest(self, panel: Panel) -> LatestSignals:
        entries, exits, score, features = self._run(panel, first_feature_row=len(panel.dates) - 1)
        return LatestSignals(
            entries=entries,
            exits=exits,
            score=score[-1],
            features={key: values[-1] for key, values in zip(FEATURE_KEYS, features, strict=True)},
        )

    def decisions(self, panel: Panel) -> StrategySignals:
        entries, exits, score, _ = self._run(panel, first_feature_row=len(panel.dates), entry_scores=True)
        return StrategySignals(entries=entries, exits=exits, score=score, features={})

    def window_trades(self, panel: Panel, rows: Sequence[int], *, lookback: int, fee_rate: float) -> list[ClosedTrades]:
        """Return every refresh window's trades in one pass (`kernels.trend_breakout_window_trades_kernel`):
        the same trades as running the strategy on each window alone, without a panel copy per window;
        the columns are split between a thread per core."""
        from alphamoe.strategy.kernels import (
            kernel_inputs,
            records_by_window_kernel,
            trend_breakout_window_trades_kernel,
        )
        from alphamoe.strategy.stats import ClosedTrades, window_start

        if not rows:
            return []
        p, k = self.params, kernel_inputs(panel)
        lasts = np.asarray(rows, dtype=np.int64)
        firsts = np.array([window_start(int(r), lookback) for r in lasts], dtype=np.int64)
        n_cols = len(panel.symbols)
        parts = max(min(os.cpu_count() or 1, n_cols), 1)
        bounds = np.linspace(0, n_cols, parts + 1).astype(np.int64)

        def run(part: int) -> tuple[np.ndarray, ...]:
            out: tuple[np.ndarray, ...] = trend_breakout_window_trades_kernel(
                k.open, k.high, k.close, k.prev_close, k.volume, k.amount, k.traded, firsts, lasts,
                int(bounds[part]), int(bounds[part + 1]), p.breakout_window, p.fast_ma, p.slow_ma, p.exit_ma,
                p.liquidity_window, float(p.min_amount), float(p.min_volume_ratio), p.max_holding_days,
                float(fee_rate),
            )  # fmt: skip
            return out

        with ThreadPoolExecutor(max_workers=parts) as pool:  # the kernel releases the GIL
            done = list(pool.map(run, range(parts)))
        window, *records = (np.concatenate([d[f] for d in done]) for f in range(5))
        # by window, then column, then time: each window's record order
        column, entry, exit_, ret, cuts = records_by_window_kernel(window, len(rows), *records)
        return [
            ClosedTrades(column=column[a:b], entry_row=entry[a:b], exit_row=exit_[a:b], ret=ret[a:b])
            for a, b in pairwise(cuts.tolist())
        ]

    def _run(self, panel: Panel, *, first_feature_row: int, entry_scores: bool = False) -> tuple[np.ndarray, ...]:
        from alphamoe.strategy.kernels import kernel_inputs, trend_breakout_kernel

        p = self.params
        k = kernel_inputs(panel)
        hits = limit_up_hits(panel, first_row=max(first_feature_row - LIMIT_COUNT_WINDOW + 1, 0), order="F")
        out: tuple[np.ndarray, ...] = trend_breakout_kernel(
            k.open,
            k.high,
            k.close,
            k.prev_close,
            k.volume,
            k.amount,
            k.factor,
            k.traded,
            hits,
            p.breakout_window,
            p.fast_ma,
            p.slow_ma,
            p.exit_ma,
            p.liquidity_window,
            float(p.min_amount),
            float(p.min_volume_ratio),
            p.max_holding_days,
            first_feature_row,
            entry_scores,
        )
        return out
