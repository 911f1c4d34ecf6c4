"""Fused numba kernels of the live scan: TrendBreakout's signals and the Kelly trade simulation.

Why numba here: NumPy composes the same rules from ~40 whole-panel temporaries (each a page-faulted
11 MB array on a 250 × 5,500 panel), and VectorBT's `from_signals` costs ~8 s to compile in every cold
process. These kernels walk each stock once, compute a rolling window only where a rule needs it (the
breakout test fails on most rows before any average is taken) and are compiled with `cache=True`, so a
process with a warm NUMBA_CACHE_DIR loads machine code instead of compiling (see `alphamoe.scan.warm`).

Kernels loop stock by stock over column-major (Fortran-order) T×N arrays, so each stock's windows are
contiguous: `kernel_inputs` converts a panel once (free when the scan's loader built it column-major).

Bit-for-bit the NumPy definitions: every window is folded newest row first, the order
`indicators._trailing` uses, so sums, means and maxima are the same floats; adjusted prices are
`price · factor` (volume `/ factor`) taken at each row, as `Panel.adjusted` materialises them.
No fastmath: reassociation would change the last bits. Row t reads rows ≤ t only.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from alphamoe.jit import jit
from alphamoe.market.bars import BoolArray, FloatArray, Panel

# feature order of `trend_breakout_kernel`'s feature block; TrendBreakout.FEATURE_KEYS names them
N_FEATURES = 12
MIN_SCORE_VOLATILITY = 0.005


@dataclass(frozen=True)
class KernelInputs:
    """A panel's raw arrays in column-major order, with its traded mask and adjustment factor."""

    open: FloatArray
    high: FloatArray
    close: FloatArray
    prev_close: FloatArray
    volume: FloatArray
    amount: FloatArray
    traded: BoolArray
    factor: FloatArray


_last_inputs: list[tuple[weakref.ref[Panel], KernelInputs]] = []


def kernel_inputs(panel: Panel) -> KernelInputs:
    """Return the panel's arrays as the kernels take them (cached for the last panel: a scan asks twice)."""
    if _last_inputs and _last_inputs[0][0]() is panel:
        return _last_inputs[0][1]

    def f(values: FloatArray) -> FloatArray:
        return np.asfortranarray(values, dtype=np.float64)

    close, prev_close, traded = f(panel.close), f(panel.prev_close), np.asfortranarray(panel.traded)
    inputs = KernelInputs(
        open=f(panel.open),
        high=f(panel.high),
        close=close,
        prev_close=prev_close,
        volume=f(panel.volume),
        amount=f(panel.amount),
        traded=traded,
        factor=adjustment_factor_kernel(close, prev_close, traded),
    )
    _last_inputs[:] = [(weakref.ref(panel), inputs)]
    return inputs


@jit
def adjustment_factor_kernel(close: Any, prev_close: Any, traded: Any) -> Any:
    """Return `Panel.adjustment_factor()`: f_t = f_{t−1} · last close / prev_close_t on traded rows."""
    rows, cols = close.shape
    factor = np.empty((cols, rows)).T  # column-major, like the inputs
    for i in range(cols):
        last = np.nan  # the last close before row t
        for t in range(rows):
            ratio = 1.0
            if traded[t, i]:
                step = last / prev_close[t, i]
                if np.isfinite(step):
                    ratio = step
            factor[t, i] = factor[t - 1, i] * ratio if t > 0 else ratio
            if not np.isnan(close[t, i]):
                last = close[t, i]
    return factor


@jit
def _fold_sum(x: Any, t: int, window: int) -> float:
    # x[t] + x[t−1] + … + x[t−window+1], in that order (NaN before the window fills or on any NaN)
    if t < window - 1 or t < 0:
        return np.nan
    acc = x[t]
    for k in range(1, window):
        acc = acc + x[t - k]
    return float(acc)


@jit
def _fold_max(x: Any, t: int, window: int) -> float:
    # np.maximum fold: any NaN in the window gives NaN
    if t < window - 1 or t < 0:
        return np.nan
    acc = x[t]
    for k in range(1, window):
        v = x[t - k]
        if v > acc or np.isnan(v):
            acc = v
    return float(acc)


@jit
def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else np.nan


@jit
def _log(x: float) -> float:
    # np.log: −inf at 0, NaN below (math.log raises)
    if x > 0:
        return math.log(x)
    return -np.inf if x == 0 else np.nan


@jit
def _pct(close: Any, t: int, periods: int) -> float:
    if t < periods:
        return np.nan
    return float(close[t] / close[t - periods] - 1.0)


@jit
def _volume_ratio(volume: Any, t: int, window: int) -> float:
    return _ratio(volume[t], _fold_sum(volume, t - 1, window) / window)


@jit
def _breaks_out(close: Any, high: Any, t: int, window: int) -> bool:
    # close > max(high of rows t−window … t−1) ⟺ every high is finite and below the close; stops early
    if t < window:
        return False
    for k in range(1, window + 1):  # noqa: SIM110 (numba: a plain loop, no generator)
        if not (high[t - k] < close[t]):
            return False
    return True


@jit
def _rsi(gain: Any, loss: Any, t: int, window: int) -> float:
    g = _fold_sum(gain, t, window) / window
    lo = _fold_sum(loss, t, window) / window
    total = g + lo
    if total > 0:
        return 100.0 * g / total
    return np.nan if np.isnan(total) else 50.0


@jit
def _volatility(ret: Any, ret_sq: Any, t: int, window: int) -> float:
    # sample std from the first two moments, as indicators.rolling_std
    mean = _fold_sum(ret, t, window) / window
    mean_square = _fold_sum(ret_sq, t, window) / window
    variance = max(mean_square - mean * mean, 0.0) * (window / (window - 1))
    return float(np.sqrt(variance))


@jit
def _series(
    i: int, open_: Any, high: Any, close: Any, volume: Any, amount: Any, factor: Any, limit_hit: Any, s: Any
) -> None:
    # stock i's adjusted series, contiguous, each element computed as the NumPy whole-panel op computes it
    rows = close.shape[0]
    for t in range(rows):
        f = factor[t, i]
        s[0, t] = close[t, i] * f
        s[1, t] = high[t, i] * f
        s[2, t] = volume[t, i] / f
        s[3, t] = amount[t, i]
        s[8, t] = 1.0 if limit_hit[t, i] else 0.0
    for t in range(rows):
        change = s[0, t] - s[0, t - 1] if t > 0 else np.nan
        ret = s[0, t] / s[0, t - 1] - 1.0 if t > 0 else np.nan
        s[4, t] = ret
        s[5, t] = ret * ret
        s[6, t] = np.nan if np.isnan(change) else max(change, 0.0)
        s[7, t] = np.nan if np.isnan(change) else max(-change, 0.0)


@jit
def _features(out: Any, row: int, t: int, i: int, open_: Any, prev_close: Any, s: Any) -> None:
    c = s[0, t]
    ma20 = _fold_sum(s[0], t, 20) / 20
    out[0, row, i] = _pct(s[0], t, 1)
    out[1, row, i] = _pct(s[0], t, 5)
    out[2, row, i] = _pct(s[0], t, 20)
    out[3, row, i] = _ratio(_fold_sum(s[0], t, 5) / 5, ma20) - 1.0
    out[4, row, i] = _ratio(c, ma20) - 1.0
    out[5, row, i] = _ratio(c, _fold_max(s[1], t - 1, 20)) - 1.0
    out[6, row, i] = _volume_ratio(s[2], t, 20)
    out[7, row, i] = _fold_sum(s[3], t, 20) / 20
    out[8, row, i] = _volatility(s[4], s[5], t, 20)
    out[9, row, i] = _rsi(s[6], s[7], t, 14)
    out[10, row, i] = _fold_sum(s[8], t, 5)
    out[11, row, i] = _ratio(open_[t, i], prev_close[t, i]) - 1.0


@jit
def trend_breakout_kernel(
    open_: Any,
    high: Any,
    close: Any,
    prev_close: Any,
    volume: Any,
    amount: Any,
    factor: Any,
    traded: Any,
    limit_hit: Any,
    breakout_window: int,
    fast_ma: int,
    slow_ma: int,
    exit_ma: int,
    liquidity_window: int,
    min_amount: float,
    min_volume_ratio: float,
    max_holding_days: int,
    first_feature_row: int,
    entry_scores: bool,
) -> tuple[Any, Any, Any, Any]:
    """Return (entries, exits, score, features) of TrendBreakout (trend_breakout.py states the rules).

    entries/exits cover every row; score (F×N) and features (12×F×N) cover rows ≥ `first_feature_row`
    only (F = T − first_feature_row): the scan asks for the last row, a research run for all. With
    `entry_scores` the score is T×N instead, computed on every entry row (NaN elsewhere), and features
    are kept only from `first_feature_row`: what a backtest reads, without storing 12 T×N features.
    """
    rows, cols = close.shape
    n_feature_rows = rows - first_feature_row
    entries = np.zeros((cols, rows), dtype=np.bool_).T  # column-major, like the inputs
    exits = np.zeros((cols, rows), dtype=np.bool_).T
    score = np.full((cols, rows if entry_scores else n_feature_rows), np.nan).T
    features = np.full((N_FEATURES, cols, n_feature_rows), np.nan).transpose(0, 2, 1)
    scratch = np.full((N_FEATURES, 1, cols), np.nan)  # one row's features, for an entry's score
    s = np.empty((9, rows))  # one stock's series: adjusted close, high, volume; amount; returns; gains …
    for i in range(cols):  # one stock at a time, its windows read from contiguous series
        _series(i, open_, high, close, volume, amount, factor, limit_hit, s)
        cl = s[0]
        entered = -1  # row of the open position's entry signal, -1 = flat
        for t in range(rows):
            if not traded[t, i]:
                continue
            entry = False
            if _breaks_out(cl, s[1], t, breakout_window):
                entry = (
                    _fold_sum(cl, t, fast_ma) / fast_ma > _fold_sum(cl, t, slow_ma) / slow_ma
                    and _fold_sum(s[3], t, liquidity_window) / liquidity_window >= min_amount
                    and _volume_ratio(s[2], t, liquidity_window) >= min_volume_ratio
                    and cl[t] >= _fold_sum(cl, t, exit_ma) / exit_ma
                )
            fire = False
            if entered >= 0:
                fire = t - entered >= max_holding_days or cl[t] < _fold_sum(cl, t, exit_ma) / exit_ma
            exits[t, i] = fire
            if fire:
                entered = -1
            elif entry:
                entries[t, i] = True
                if entered < 0:
                    entered = t
            if t >= first_feature_row:
                row = t - first_feature_row
                _features(features, row, t, i, open_, prev_close, s)
                score[t if entry_scores else row, i] = _score(features, row, i)
            elif entry_scores and entries[t, i]:
                _features(scratch, 0, t, i, open_, prev_close, s)
                score[t, i] = _score(scratch, 0, i)
    return entries, exits, score, features


@jit
def _score(features: Any, row: int, i: int) -> float:
    # breakout margin and MA5/MA20 in units of the stock's volatility, plus the log volume ratio
    sigma = features[8, row, i]
    if not sigma >= MIN_SCORE_VOLATILITY:  # np.fmax: NaN volatility takes the floor
        sigma = MIN_SCORE_VOLATILITY
    margins = features[5, row, i] / sigma + features[3, row, i] / sigma
    return float(margins + _log(features[6, row, i]))


@jit
def simulate_trades_kernel(entries: Any, exits: Any, open_: Any, factor: Any, traded: Any, fee_rate: float) -> Any:
    """Return closed round trips (column, entry fill row, exit fill row, return) of a long-only strategy.

    VectorBT `from_signals(direction='longonly', accumulate=False)` semantics on adjusted opens: a signal
    of row t fills at the open of the stock's next traded row; an entry and an exit on the same row cancel
    (VectorBT's default conflict mode); a NaN price skips the order; return = (exit·(1−fee) −
    entry·(1+fee)) / entry. Records come by column, then time, as VectorBT orders them.
    """
    rows, cols = entries.shape
    capacity = 0
    for i in range(cols):
        for t in range(rows):
            if entries[t, i]:
                capacity += 1
    out_col = np.empty(capacity, dtype=np.int64)
    out_entry = np.empty(capacity, dtype=np.int64)
    out_exit = np.empty(capacity, dtype=np.int64)
    out_ret = np.empty(capacity)
    n = 0
    for i in range(cols):  # by column, then time: VectorBT's record order
        last = -1  # the stock's last traded row before t
        held = False
        entry_row = -1
        entry_price = 0.0
        for t in range(rows):
            if not traded[t, i]:
                continue
            signal_row = last
            last = t
            if signal_row < 0:
                continue
            buy = entries[signal_row, i]
            sell = exits[signal_row, i]
            price = open_[t, i] * factor[t, i]
            if (buy and sell) or np.isnan(price):
                continue
            if not held and buy:
                held = True
                entry_row = t
                entry_price = price
            elif held and sell:
                held = False
                out_col[n] = i
                out_entry[n] = entry_row
                out_exit[n] = t
                out_ret[n] = (price * (1.0 - fee_rate) - entry_price * (1.0 + fee_rate)) / entry_price
                n += 1
    return out_col[:n], out_entry[:n], out_exit[:n], out_ret[:n]


@jit
def position_exits_kernel(entries: Any, exit_rule: Any, traded: Any, max_holding_days: int) -> Any:
    """Return exits of a strategy's own long/flat path: on a traded row while a position is open, when the
    exit rule holds or `max_holding_days` sessions have passed since the entry signal (column-major)."""
    rows, cols = entries.shape
    exits = np.zeros((cols, rows), dtype=np.bool_).T
    for i in range(cols):
        entered = -1
        for t in range(rows):
            fire = entered >= 0 and traded[t, i] and (exit_rule[t, i] or t - entered >= max_holding_days)
            exits[t, i] = fire
            if fire:
                entered = -1
            elif entered < 0 and entries[t, i]:
                entered = t
    return exits
