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

from alphamoe.jit import jit, jit_inline
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
        _factor(close[:, i], prev_close[:, i], traded[:, i], factor[:, i])
    return factor


@jit_inline
def _factor(close: Any, prev_close: Any, traded: Any, out: Any) -> None:
    # one stock's factor over the rows it is given, 1 at the first: a window's own, as its panel's would be
    last = np.nan  # the last close before row t
    for t in range(close.shape[0]):
        ratio = 1.0
        if traded[t]:
            step = last / prev_close[t]
            if np.isfinite(step):
                ratio = step
        out[t] = out[t - 1] * ratio if t > 0 else ratio
        if not np.isnan(close[t]):
            last = close[t]


@jit_inline
def _fold_sum(x: Any, t: int, window: int) -> float:
    # x[t] + x[t−1] + … + x[t−window+1], in that order (NaN before the window fills or on any NaN)
    if t < window - 1 or t < 0:
        return np.nan
    acc = x[t]
    for k in range(1, window):
        acc = acc + x[t - k]
    return float(acc)


@jit_inline
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


@jit_inline
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


@jit_inline
def _volume_ratio(volume: Any, t: int, window: int) -> float:
    return _ratio(volume[t], _fold_sum(volume, t - 1, window) / window)


@jit_inline
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
    _adjusted(close[:, i], high[:, i], volume[:, i], amount[:, i], factor[:, i], s)
    for t in range(rows):
        s[8, t] = 1.0 if limit_hit[t, i] else 0.0
    for t in range(rows):
        change = s[0, t] - s[0, t - 1] if t > 0 else np.nan
        ret = s[0, t] / s[0, t - 1] - 1.0 if t > 0 else np.nan
        s[4, t] = ret
        s[5, t] = ret * ret
        s[6, t] = np.nan if np.isnan(change) else max(change, 0.0)
        s[7, t] = np.nan if np.isnan(change) else max(-change, 0.0)


@jit_inline
def _adjusted(close: Any, high: Any, volume: Any, amount: Any, factor: Any, s: Any) -> None:
    # the series the entry and exit rules read: adjusted close, high and volume, raw amount (rows of s)
    for t in range(close.shape[0]):
        f = factor[t]
        s[0, t] = close[t] * f
        s[1, t] = high[t] * f
        s[2, t] = volume[t] / f
        s[3, t] = amount[t]


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
        cl, hi, vol, amt = s[0], s[1], s[2], s[3]
        entered = -1  # row of the open position's entry signal, -1 = flat
        for t in range(rows):
            if not traded[t, i]:
                continue
            entry = _entry(
                cl,
                hi,
                vol,
                amt,
                t,
                breakout_window,
                fast_ma,
                slow_ma,
                exit_ma,
                liquidity_window,
                min_amount,
                min_volume_ratio,
            )
            fire = _exit(cl, t, entered, exit_ma, max_holding_days)
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


@jit_inline
def _entry(
    cl: Any,
    hi: Any,
    vol: Any,
    amount: Any,
    t: int,
    breakout_window: int,
    fast_ma: int,
    slow_ma: int,
    exit_ma: int,
    liquidity_window: int,
    min_amount: float,
    min_volume_ratio: float,
) -> bool:
    # TrendBreakout's entry rule at row t of one stock's series (`_adjusted`: adjusted close, high, volume,
    # raw amount): breakout, trend, liquidity, volume, not on an exit day; the breakout fails first on most rows
    if not _breaks_out(cl, hi, t, breakout_window):
        return False
    return bool(
        _fold_sum(cl, t, fast_ma) / fast_ma > _fold_sum(cl, t, slow_ma) / slow_ma
        and _fold_sum(amount, t, liquidity_window) / liquidity_window >= min_amount
        and _volume_ratio(vol, t, liquidity_window) >= min_volume_ratio
        and cl[t] >= _fold_sum(cl, t, exit_ma) / exit_ma
    )


@jit_inline
def _exit(cl: Any, t: int, entered: int, exit_ma: int, max_holding_days: int) -> bool:
    # TrendBreakout's exit rule at row t while a position entered at row `entered` is open (−1: flat)
    if entered < 0:
        return False
    return bool(t - entered >= max_holding_days or _below_exit_ma(cl, t, exit_ma))


@jit_inline
def _below_exit_ma(cl: Any, t: int, exit_ma: int) -> bool:
    return bool(cl[t] < _fold_sum(cl, t, exit_ma) / exit_ma)


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
        n = _stock_trades(
            i, entries[:, i], exits[:, i], open_[:, i], factor[:, i], traded[:, i], fee_rate, out_col, out_entry,
            out_exit, out_ret, n,
        )  # fmt: skip
    return out_col[:n], out_entry[:n], out_exit[:n], out_ret[:n]


@jit_inline
def _stock_trades(
    i: int,
    entries: Any,
    exits: Any,
    open_: Any,
    factor: Any,
    traded: Any,
    fee_rate: float,
    out_col: Any,
    out_entry: Any,
    out_exit: Any,
    out_ret: Any,
    n: int,
) -> int:
    # one stock's closed round trips over the rows it is given (`simulate_trades_kernel`), written from
    # record n on; returns the next free record
    last = -1  # the stock's last traded row before t
    held = False
    entry_row = -1
    entry_price = 0.0
    for t in range(entries.shape[0]):
        if not traded[t]:
            continue
        signal_row = last
        last = t
        if signal_row < 0:
            continue
        buy = entries[signal_row]
        sell = exits[signal_row]
        price = open_[t] * factor[t]
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
    return n


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


@jit
def trend_breakout_window_trades_kernel(
    open_: Any,
    high: Any,
    close: Any,
    prev_close: Any,
    volume: Any,
    amount: Any,
    traded: Any,
    firsts: Any,
    lasts: Any,
    col_start: int,
    col_stop: int,
    breakout_window: int,
    fast_ma: int,
    slow_ma: int,
    exit_ma: int,
    liquidity_window: int,
    min_amount: float,
    min_volume_ratio: float,
    max_holding_days: int,
    fee_rate: float,
) -> tuple[Any, Any, Any, Any, Any]:
    """Return the closed trades of TrendBreakout run on each window [firsts[k], lasts[k]] alone, for columns
    col_start … col_stop − 1: (window, column, entry row, exit row, return), rows relative to the window.

    Per window and stock exactly what `window_panel` + `trend_breakout_kernel` + `simulate_trades_kernel`
    compute (the factor restarts at 1, the rules' windows and the position start flat at the window's first
    row), through the same rule and trade functions, without copying a panel per window. Records come by
    column, then window, then time.

    Shortcut, exact: until a window's first corporate action its factor is exactly 1.0, so its adjusted
    series are the raw prices bit for bit (x · 1.0 = x, x / 1.0 = x), and a rule at window row t reads the
    same values as on the raw column at the same session once its longest lookback fits in the window
    (before that the window's fold is NaN and the rule false). So the rules are evaluated once per stock on
    the raw column and only from the window's first factor change on are they run on the window's series.
    """
    rows_all = close.shape[0]
    longest = 0
    for k in range(firsts.shape[0]):
        longest = max(longest, lasts[k] - firsts[k] + 1)
    need_entry = max(breakout_window, fast_ma - 1, slow_ma - 1, liquidity_window, exit_ma - 1)
    s = np.empty((4, longest))
    cl, hi, vol, amt = s[0], s[1], s[2], s[3]
    factor = np.empty(longest)
    entries = np.zeros(longest, dtype=np.bool_)
    exits = np.zeros(longest, dtype=np.bool_)
    raw_entry = np.zeros(rows_all, dtype=np.bool_)
    raw_below = np.zeros(rows_all, dtype=np.bool_)
    capacity = 1024
    out_window = np.empty(capacity, dtype=np.int64)
    out_col = np.empty(capacity, dtype=np.int64)
    out_entry = np.empty(capacity, dtype=np.int64)
    out_exit = np.empty(capacity, dtype=np.int64)
    out_ret = np.empty(capacity)
    n = 0
    for i in range(col_start, col_stop):
        c_i, h_i, v_i, a_i = close[:, i], high[:, i], volume[:, i], amount[:, i]
        for t in range(rows_all):  # the rules on the raw column: a window's until its first factor change
            raw_entry[t] = traded[t, i] and _entry(
                c_i, h_i, v_i, a_i, t, breakout_window, fast_ma, slow_ma, exit_ma, liquidity_window, min_amount,
                min_volume_ratio,
            )  # fmt: skip
            raw_below[t] = traded[t, i] and _below_exit_ma(c_i, t, exit_ma)
        for k in range(firsts.shape[0]):
            a, rows = firsts[k], lasts[k] - firsts[k] + 1
            tr = traded[a : a + rows, i]
            _factor(close[a : a + rows, i], prev_close[a : a + rows, i], tr, factor)
            plain = rows  # rows before the window's first factor change
            for t in range(rows):
                if factor[t] != 1.0:
                    plain = t
                    break
            if plain < rows:
                _adjusted(close[a : a + rows, i], high[a : a + rows, i], volume[a : a + rows, i],
                          amount[a : a + rows, i], factor, s)  # fmt: skip
            entered = -1
            for t in range(rows):
                entries[t] = False
                exits[t] = False
                if not tr[t]:
                    continue
                if t < plain:
                    entry = raw_entry[a + t] and t >= need_entry
                    below = raw_below[a + t] and t >= exit_ma - 1
                else:
                    entry = _entry(
                        cl, hi, vol, amt, t, breakout_window, fast_ma, slow_ma, exit_ma, liquidity_window,
                        min_amount, min_volume_ratio,
                    )  # fmt: skip
                    below = _below_exit_ma(cl, t, exit_ma)
                fire = entered >= 0 and (t - entered >= max_holding_days or below)
                exits[t] = fire
                if fire:
                    entered = -1
                elif entry:
                    entries[t] = True
                    if entered < 0:
                        entered = t
            if n + rows > capacity:  # at most one trade per two rows: room for a whole window
                capacity = 2 * capacity + rows
                out_window = _grown(out_window, capacity)
                out_col = _grown(out_col, capacity)
                out_entry = _grown(out_entry, capacity)
                out_exit = _grown(out_exit, capacity)
                out_ret = _grown(out_ret, capacity)
            start = n
            n = _stock_trades(
                i, entries[:rows], exits[:rows], open_[a : a + rows, i], factor[:rows], tr, fee_rate, out_col,
                out_entry, out_exit, out_ret, n,
            )  # fmt: skip
            out_window[start:n] = k
    return out_window[:n], out_col[:n], out_entry[:n], out_exit[:n], out_ret[:n]


@jit
def _grown(values: Any, capacity: int) -> Any:
    out = np.empty(capacity, dtype=values.dtype)
    out[: values.shape[0]] = values
    return out


FEATURE_HISTORY = 21  # rows a feature of row t reads: t−20 … t (20-day return, prior 20-day high)
LIMIT_HISTORY = 5  # rows of limit-up hits `limit_up_count_5d` reads: t−4 … t


@jit
def pick_features_kernel(
    open_: Any,
    high: Any,
    close: Any,
    prev_close: Any,
    volume: Any,
    amount: Any,
    factor: Any,
    rows: Any,
    cols: Any,
    limit_hit: Any,
) -> Any:
    """Return the 12 features (`N_FEATURES` × K) of K picks (row `rows[k]`, column `cols[k]`) in one pass.

    `limit_hit[k, j]` is the limit-up hit of row `rows[k]` − 4 + j. Each pick's `FEATURE_HISTORY` rows are
    laid out as `_series` lays a whole stock (rows before 0 are NaN, which every window propagates as the
    whole-series code's "window not filled" does), then `_features` reads them: the same floats as
    `trend_breakout_kernel`'s features of that row, without walking every row of every stock.
    """
    n = rows.shape[0]
    width = FEATURE_HISTORY
    last = width - 1
    out = np.full((N_FEATURES, n, 1), np.nan)
    s = np.empty((9, width))
    bar_open = np.empty((width, 1))
    bar_prev = np.empty((width, 1))
    for k in range(n):
        t, i = rows[k], cols[k]
        for j in range(width):
            u = t - last + j
            if u < 0:
                s[0, j] = s[1, j] = s[2, j] = s[3, j] = s[8, j] = np.nan
                bar_open[j, 0] = bar_prev[j, 0] = np.nan
                continue
            f = factor[u, i]
            s[0, j] = close[u, i] * f
            s[1, j] = high[u, i] * f
            s[2, j] = volume[u, i] / f
            s[3, j] = amount[u, i]
            s[8, j] = np.nan
            bar_open[j, 0] = open_[u, i]
            bar_prev[j, 0] = prev_close[u, i]
        for j in range(LIMIT_HISTORY):
            if t - LIMIT_HISTORY + 1 + j >= 0:
                s[8, last - LIMIT_HISTORY + 1 + j] = 1.0 if limit_hit[k, j] else 0.0
        for j in range(width):
            change = s[0, j] - s[0, j - 1] if j > 0 else np.nan
            ret = s[0, j] / s[0, j - 1] - 1.0 if j > 0 else np.nan
            s[4, j] = ret
            s[5, j] = ret * ret
            s[6, j] = np.nan if np.isnan(change) else max(change, 0.0)
            s[7, j] = np.nan if np.isnan(change) else max(-change, 0.0)
        _features(out, k, last, 0, bar_open, bar_prev, s)
    return out[:, :, 0]
