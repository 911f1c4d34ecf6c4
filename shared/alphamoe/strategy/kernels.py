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
    return _std(_fold_sum(ret, t, window), _fold_sum(ret_sq, t, window), window)


@jit_inline
def _std(total: float, total_square: float, window: int) -> float:
    # sample std from the window's sums of x and x², as indicators.rolling_std
    mean = total / window
    mean_square = total_square / window
    variance = max(mean_square - mean * mean, 0.0) * (window / (window - 1))
    return float(np.sqrt(variance))


@jit_inline
def _return(close: Any, t: int) -> float:
    # row t's return, as `_series` stores it
    return close[t] / close[t - 1] - 1.0 if t > 0 else np.nan


@jit
def _return_volatility(close: Any, t: int, window: int) -> float:
    # `_volatility` of `close`'s returns, each return taken on the fly (`_return`) and folded as `_fold_sum`
    # folds the stored series: the same floats, for a row whose returns `_series` did not store
    if t < window - 1 or t < 0:
        return _std(np.nan, np.nan, window)
    r = _return(close, t)
    total, total_square = r, r * r
    for k in range(1, window):
        r = _return(close, t - k)
        total, total_square = total + r, total_square + r * r
    return _std(total, total_square, window)


@jit
def _series(
    i: int,
    open_: Any,
    high: Any,
    close: Any,
    volume: Any,
    amount: Any,
    factor: Any,
    limit_hit: Any,
    s: Any,
    from_row: int,
) -> None:
    # stock i's adjusted series, contiguous, each element computed as the NumPy whole-panel op computes it;
    # the rows only features read (returns, gains, losses, limit hits: 4 … 8) from row `from_row` on
    rows = close.shape[0]
    _adjusted(close[:, i], high[:, i], volume[:, i], amount[:, i], factor[:, i], s)
    for t in range(from_row, rows):
        s[8, t] = 1.0 if limit_hit[t, i] else 0.0
    for t in range(from_row, rows):
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
    s = np.empty((9, rows))  # one stock's series: adjusted close, high, volume; amount; returns; gains …
    from_row = max(first_feature_row - FEATURE_HISTORY, 0)  # the first row a feature reads
    block_max = np.empty((2, rows))  # one stock's adjusted highs, block by block (`_block_max`)
    w = breakout_window
    for i in range(cols):  # one stock at a time, its windows read from contiguous series
        _series(i, open_, high, close, volume, amount, factor, limit_hit, s, from_row)
        cl, hi, vol, amt = s[0], s[1], s[2], s[3]
        ahead, behind = block_max[0], block_max[1]
        _block_max(hi, w, ahead, behind)
        entered = -1  # row of the open position's entry signal, -1 = flat
        for t in range(rows):
            if not traded[t, i]:
                continue
            # `_breaks_out` holds only where the close is above the prior window's highest high (none NaN):
            # most rows fail this test without the window's loop, and `_entry` tests the rest in full
            entry = (t >= w and cl[t] > max(behind[t - w], ahead[t - 1])) and _entry(
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
                score[t, i] = _entry_score(s, t)
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
    # raw amount): breakout, volume, trend, liquidity, not on an exit day. Independent tests joined by `and`:
    # the order changes no answer, only the cost; the breakout fails first on most rows, the volume next
    if not _breaks_out(cl, hi, t, breakout_window):
        return False
    return bool(
        _volume_ratio(vol, t, liquidity_window) >= min_volume_ratio
        and _fold_sum(cl, t, fast_ma) / fast_ma > _fold_sum(cl, t, slow_ma) / slow_ma
        and _fold_sum(amount, t, liquidity_window) / liquidity_window >= min_amount
        and cl[t] >= _fold_sum(cl, t, exit_ma) / exit_ma
    )


@jit_inline
def _block_max(x: Any, window: int, ahead: Any, behind: Any) -> None:
    # van Herk / Gil-Werman, NaN taken as +inf: in blocks of `window` rows from row 0, ahead[j] is the max
    # of x from j's block start to j and behind[j] from j to its block's end, so the window of rows
    # a … a+window−1 has max(behind[a], ahead[a+window−1]), +inf where it holds a NaN; exact (max rounds nothing)
    n = x.shape[0]
    for j in range(n):
        v = np.inf if np.isnan(x[j]) else x[j]
        ahead[j] = v if j % window == 0 else max(ahead[j - 1], v)
    for j in range(n - 1, -1, -1):
        v = np.inf if np.isnan(x[j]) else x[j]
        behind[j] = v if j == n - 1 or (j + 1) % window == 0 else max(behind[j + 1], v)


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
    return _blend(features[8, row, i], features[5, row, i], features[3, row, i], features[6, row, i])


@jit
def _entry_score(s: Any, t: int) -> float:
    # `_score` of row t before the feature rows, from the adjusted close, high and volume of `_series` alone:
    # the four features it reads, each computed as `_features` computes it
    ma20 = _fold_sum(s[0], t, 20) / 20
    trend = _ratio(_fold_sum(s[0], t, 5) / 5, ma20) - 1.0
    margin = _ratio(s[0, t], _fold_max(s[1], t - 1, 20)) - 1.0
    return _blend(_return_volatility(s[0], t, 20), margin, trend, _volume_ratio(s[2], t, 20))


@jit_inline
def _blend(volatility: float, margin: float, trend: float, volume_ratio: float) -> float:
    # breakout margin and MA5/MA20 in units of the stock's volatility, plus the log volume ratio
    sigma = volatility
    if not sigma >= MIN_SCORE_VOLATILITY:  # np.fmax: NaN volatility takes the floor
        sigma = MIN_SCORE_VOLATILITY
    margins = margin / sigma + trend / sigma
    return float(margins + _log(volume_ratio))


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
        held, entry_row, entry_price, closed, ret = _fill(
            entries[signal_row], exits[signal_row], open_[t] * factor[t], t, held, entry_row, entry_price, fee_rate
        )
        if closed:
            out_col[n] = i
            out_entry[n] = entry_row
            out_exit[n] = t
            out_ret[n] = ret
            n += 1
    return n


@jit_inline
def _fill(
    buy: bool, sell: bool, price: float, t: int, held: bool, entry_row: int, entry_price: float, fee_rate: float
) -> tuple[bool, int, float, bool, float]:
    # one traded row t of a long-only position: the previous traded row's signals fill at `price` (both:
    # cancel; NaN: skipped); returns (held, entry row, entry price, whether a trade closed, its return)
    if (buy and sell) or np.isnan(price):
        return held, entry_row, entry_price, False, 0.0
    if not held and buy:
        return True, t, price, False, 0.0
    if held and sell:
        ret = (price * (1.0 - fee_rate) - entry_price * (1.0 + fee_rate)) / entry_price
        return False, entry_row, entry_price, True, ret
    return held, entry_row, entry_price, False, 0.0


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

    Shortcuts, exact: until a window's first corporate action its factor is exactly 1.0, so its adjusted
    series are the raw prices bit for bit (x · 1.0 = x, x / 1.0 = x), and a rule at window row t reads the
    same values as on the raw column at the same session once its longest lookback fits in the window
    (before that the window's fold is NaN and the rule false). From its first factor change g on, its
    series are the raw ones times the products of the raw steps from g on: the same for every window whose
    first change is g. So each stock is run once on the raw column (the raw path) and once from each first
    change g on those series, from the raw path's state at g − 1 (a change path), keeping the state after
    every row and the trades closed by then. A window is flat with no signal until its rules' lookback
    fits; from then on it is run on its own only until its whole state (position, entry, last traded row
    and that row's signals: all its future reads) equals its path's at the same session; its later trades
    are that path's (the raw path's, then its change path's). A window that never meets its path (rare:
    a position held across its first change) is run on its own series.
    """
    rows_all = close.shape[0]
    n_windows = firsts.shape[0]
    longest = 0
    for k in range(n_windows):
        longest = max(longest, lasts[k] - firsts[k] + 1)
    need_entry = max(breakout_window, fast_ma - 1, slow_ma - 1, liquidity_window, exit_ma - 1)
    s = np.empty((4, longest))  # an unsynced window's own series
    factor = np.empty(longest)
    s_abs = np.empty((4, rows_all))  # a change path's series, by session
    f_abs = np.empty(rows_all)
    raw_entry = np.zeros(rows_all, dtype=np.bool_)
    step = np.empty(rows_all)  # each session's factor step on the raw column (`_factor`'s)
    next_close = np.empty(rows_all + 1, dtype=np.int64)  # first session ≥ r with a close
    next_change = np.empty(rows_all + 1, dtype=np.int64)  # first session ≥ r whose step is not 1
    raw_state = np.empty((rows_all, N_PATH_STATE), dtype=np.int64)  # the raw path after each session
    raw_price = np.empty(rows_all)
    raw_trade_entry = np.empty(rows_all, dtype=np.int64)
    raw_trade_exit = np.empty(rows_all, dtype=np.int64)
    raw_trade_ret = np.empty(rows_all)
    change = np.empty(n_windows, dtype=np.int64)  # each window's first factor change (−1: none)
    paths = np.empty(n_windows, dtype=np.int64)  # the stock's distinct first changes
    path_end = np.empty(rows_all, dtype=np.int64)  # the last session a change path from g serves
    path_base = np.empty(rows_all, dtype=np.int64)  # where its rows and trades start in the path buffers
    path_capacity = 0
    path_state = np.empty((path_capacity, N_PATH_STATE), dtype=np.int64)
    path_price = np.empty(path_capacity)
    path_entry = np.empty(path_capacity, dtype=np.int64)
    path_exit = np.empty(path_capacity, dtype=np.int64)
    path_ret = np.empty(path_capacity)
    capacity = 1024
    out_window = np.empty(capacity, dtype=np.int64)
    out_col = np.empty(capacity, dtype=np.int64)
    out_entry = np.empty(capacity, dtype=np.int64)
    out_exit = np.empty(capacity, dtype=np.int64)
    out_ret = np.empty(capacity)
    n = 0
    for i in range(col_start, col_stop):
        c_i, h_i, v_i, a_i, o_i, tr_i = close[:, i], high[:, i], volume[:, i], amount[:, i], open_[:, i], traded[:, i]
        last_close = np.nan
        entered, held, entry_row, entry_price, last, buy, sell, n_raw = -1, False, -1, 0.0, -1, False, False, 0
        for r in range(rows_all):  # the raw path
            step[r] = 1.0
            if tr_i[r]:
                q = last_close / prev_close[r, i]
                if np.isfinite(q):
                    step[r] = q
            if not np.isnan(c_i[r]):
                last_close = c_i[r]
            raw_entry[r] = tr_i[r] and _entry(
                c_i, h_i, v_i, a_i, r, breakout_window, fast_ma, slow_ma, exit_ma, liquidity_window, min_amount,
                min_volume_ratio,
            )  # fmt: skip
            if tr_i[r]:
                below = entered >= 0 and r - entered < max_holding_days and _below_exit_ma(c_i, r, exit_ma)
                entered, held, entry_row, entry_price, buy, sell, closed, ret = _session(
                    r, o_i[r] * 1.0, raw_entry[r] and r >= need_entry, below and r >= exit_ma - 1, entered, held,
                    entry_row, entry_price, buy, sell, max_holding_days, fee_rate,
                )  # fmt: skip
                if closed:
                    raw_trade_entry[n_raw], raw_trade_exit[n_raw], raw_trade_ret[n_raw] = entry_row, r, ret
                    n_raw += 1
                last = r
            _record(raw_state, raw_price, r, entered, held, entry_row, entry_price, last, buy, sell, n_raw)
        next_close[rows_all], next_change[rows_all] = rows_all, rows_all
        for r in range(rows_all - 1, -1, -1):
            next_close[r] = next_close[r + 1] if np.isnan(c_i[r]) else r
            next_change[r] = next_change[r + 1] if step[r] == 1.0 else r
        for k in range(n_windows):  # each window's first factor change: a step after its first close
            g = next_change[next_close[firsts[k]] + 1] if next_close[firsts[k]] < lasts[k] else rows_all
            change[k] = g if g <= lasts[k] else -1
            if change[k] >= 0:
                path_end[g], path_base[g] = -1, -1
        for k in range(n_windows):
            if change[k] >= 0:
                path_end[change[k]] = max(path_end[change[k]], lasts[k])
        total, n_paths = 0, 0
        for k in range(n_windows):
            g = change[k]
            if g >= 0 and path_base[g] < 0:
                path_base[g], total = total, total + path_end[g] - g + 1
                paths[n_paths] = g
                n_paths += 1
        if total > path_capacity:
            path_capacity = 2 * total
            path_state = np.empty((path_capacity, N_PATH_STATE), dtype=np.int64)
            path_price = np.empty(path_capacity)
            path_entry = np.empty(path_capacity, dtype=np.int64)
            path_exit = np.empty(path_capacity, dtype=np.int64)
            path_ret = np.empty(path_capacity)
        for g in paths[:n_paths]:  # each change path
            lo, hi = max(g - need_entry, 0), path_end[g] + 1
            for r in range(lo, hi):
                f_abs[r] = 1.0 if r < g else f_abs[r - 1] * step[r]
            _adjusted(c_i[lo:hi], h_i[lo:hi], v_i[lo:hi], a_i[lo:hi], f_abs[lo:hi], s_abs[:, lo:hi])
            _run_rules(
                s_abs, o_i, f_abs, tr_i, g, hi, raw_state[g - 1, 0], raw_state[g - 1, 1] != 0, raw_state[g - 1, 2],
                raw_price[g - 1], raw_state[g - 1, 3], raw_state[g - 1, 4] != 0, raw_state[g - 1, 5] != 0,
                breakout_window, fast_ma, slow_ma, exit_ma, liquidity_window, min_amount, min_volume_ratio,
                max_holding_days, fee_rate, path_entry, path_exit, path_ret, path_base[g], path_state, path_price,
                path_base[g],
            )  # fmt: skip
        for k in range(n_windows):
            a, rows = firsts[k], lasts[k] - firsts[k] + 1
            plain = rows if change[k] < 0 else change[k] - a  # rows before the window's first factor change
            if n + rows > capacity:  # at most one trade per two rows: room for a whole window
                capacity = 2 * capacity + rows
                out_window = _grown(out_window, capacity)
                out_col = _grown(out_col, capacity)
                out_entry = _grown(out_entry, capacity)
                out_exit = _grown(out_exit, capacity)
                out_ret = _grown(out_ret, capacity)
            start = n
            # before row need_entry no rule fires: flat, no signal, only the last traded row moves
            t = min(need_entry, plain) - 1
            last = raw_state[a + t, 3] - a if raw_state[a + t, 3] >= a else -1
            entered, held, entry_row, entry_price, buy, sell = -1, False, -1, 0.0, False, False
            synced = False
            while True:  # on its own until it meets the raw path (rows after t read the same rules)
                if t >= need_entry - 1 and t < plain:
                    synced = _same(
                        raw_state, raw_price, a + t, a, entered, held, entry_row, entry_price, last, buy, sell
                    )
                    if synced:
                        break
                t += 1
                if t >= plain:
                    break
                r = a + t
                if not tr_i[r]:
                    continue
                below = entered >= 0 and t - entered < max_holding_days and _below_exit_ma(c_i, r, exit_ma)
                entered, held, entry_row, entry_price, buy, sell, closed, ret = _session(
                    t, o_i[r] * 1.0, raw_entry[r] and t >= need_entry, below and t >= exit_ma - 1, entered, held,
                    entry_row, entry_price, buy, sell, max_holding_days, fee_rate,
                )  # fmt: skip
                if closed:
                    out_entry[n], out_exit[n], out_ret[n] = entry_row, t, ret
                    n += 1
                last = t
            if synced:  # the raw path's trades closed after the meeting, before the first factor change
                for j in range(raw_state[a + t, 6], raw_state[a + plain - 1, 6]):
                    out_entry[n], out_exit[n] = raw_trade_entry[j] - a, raw_trade_exit[j] - a
                    out_ret[n] = raw_trade_ret[j]
                    n += 1
                t = plain - 1  # then the change path's, from its first row
            elif plain < need_entry <= rows:  # a change before the rules fire: meet the change path there
                t = need_entry - 1
                last_at = raw_state[a + t, 3] - a if raw_state[a + t, 3] >= a else -1
                base = path_base[change[k]] - change[k]
                synced = _same(path_state, path_price, base + a + t, a, -1, False, -1, 0.0, last_at, False, False)
            if synced and plain < rows:  # the change path's trades closed after t, by the window's last row
                base = path_base[change[k]] - change[k]
                first_trade = path_base[change[k]] if t < plain else path_state[base + a + t, 6]
                for j in range(first_trade, path_state[base + a + rows - 1, 6]):
                    out_entry[n], out_exit[n], out_ret[n] = path_entry[j] - a, path_exit[j] - a, path_ret[j]
                    n += 1
            elif not synced and plain < rows:  # on its own series from the first factor change on
                tr = tr_i[a : a + rows]
                _factor(c_i[a : a + rows], prev_close[a : a + rows, i], tr, factor)
                _adjusted(c_i[a : a + rows], h_i[a : a + rows], v_i[a : a + rows], a_i[a : a + rows], factor, s)
                n = _run_rules(
                    s, o_i[a : a + rows], factor, tr, plain, rows, entered, held, entry_row, entry_price, last, buy,
                    sell, breakout_window, fast_ma, slow_ma, exit_ma, liquidity_window, min_amount, min_volume_ratio,
                    max_holding_days, fee_rate, out_entry, out_exit, out_ret, n, path_state, path_price, -1,
                )  # fmt: skip
            out_window[start:n] = k
            out_col[start:n] = i
    return out_window[:n], out_col[:n], out_entry[:n], out_exit[:n], out_ret[:n]


@jit
def records_by_window_kernel(window: Any, n_windows: int, column: Any, entry: Any, exit_: Any, ret: Any) -> Any:
    """Return the records (column, entry row, exit row, return) grouped by window, each window's in their
    order (a stable counting sort, one pass), and each window's first record (n_windows + 1 cuts)."""
    cuts = np.zeros(n_windows + 1, dtype=np.int64)
    for j in range(window.shape[0]):
        cuts[window[j] + 1] += 1
    for k in range(n_windows):
        cuts[k + 1] += cuts[k]
    at = cuts[:-1].copy()
    out_column, out_entry = np.empty_like(column), np.empty_like(entry)
    out_exit, out_ret = np.empty_like(exit_), np.empty_like(ret)
    for j in range(window.shape[0]):
        to = at[window[j]]
        at[window[j]] += 1
        out_column[to], out_entry[to], out_exit[to], out_ret[to] = column[j], entry[j], exit_[j], ret[j]
    return out_column, out_entry, out_exit, out_ret, cuts


N_PATH_STATE = 7  # a path's state after a row: entered, held, entry row, last traded row, buy, sell, trades closed


@jit_inline
def _record(
    state: Any,
    price: Any,
    j: int,
    entered: int,
    held: bool,
    entry_row: int,
    entry_price: float,
    last: int,
    buy: bool,
    sell: bool,
    closed: int,
) -> None:
    state[j, 0], state[j, 1], state[j, 2], state[j, 3] = entered, held, entry_row, last
    state[j, 4], state[j, 5], state[j, 6] = buy, sell, closed
    price[j] = entry_price


@jit_inline
def _same(
    state: Any,
    price: Any,
    j: int,
    a: int,
    entered: int,
    held: bool,
    entry_row: int,
    entry_price: float,
    last: int,
    buy: bool,
    sell: bool,
) -> bool:
    # whether a window's state (rows relative to its first session a) equals a path's after its row j:
    # everything a later row reads (an entry row or price while flat is never read again)
    return bool(
        (state[j, 0] < 0 if entered < 0 else state[j, 0] == entered + a)
        and (state[j, 1] != 0) == held
        and (not held or (state[j, 2] == entry_row + a and price[j] == entry_price))
        and (state[j, 3] < 0 if last < 0 else state[j, 3] == last + a)
        and (state[j, 4] != 0) == buy
        and (state[j, 5] != 0) == sell
    )


@jit_inline
def _signal(entered: int, t: int, entry: bool, below: bool, max_holding_days: int) -> tuple[int, bool, bool]:
    # TrendBreakout's signals at traded row t with a position entered at row `entered` (−1: flat): exit after
    # `max_holding_days` or below the exit MA, else entry; returns (entered, entry signal, exit signal)
    if entered >= 0 and (t - entered >= max_holding_days or below):
        return -1, False, True
    if entry:
        return (t if entered < 0 else entered), True, False
    return entered, False, False


@jit_inline
def _session(
    t: int,
    price: float,
    entry: bool,
    below: bool,
    entered: int,
    held: bool,
    entry_row: int,
    entry_price: float,
    buy: bool,
    sell: bool,
    max_holding_days: int,
    fee_rate: float,
) -> tuple[int, bool, int, float, bool, bool, bool, float]:
    # one traded row t of TrendBreakout run alone: the previous traded row's signals (buy, sell) fill at this
    # row's open (`_fill`), then this row's signals; returns the new state, whether a trade closed, its return
    held, entry_row, entry_price, closed, ret = _fill(buy, sell, price, t, held, entry_row, entry_price, fee_rate)
    entered, buy, sell = _signal(entered, t, entry, below, max_holding_days)
    return entered, held, entry_row, entry_price, buy, sell, closed, ret


@jit
def _run_rules(
    s: Any,
    open_: Any,
    factor: Any,
    traded: Any,
    t_from: int,
    t_to: int,
    entered: int,
    held: bool,
    entry_row: int,
    entry_price: float,
    last: int,
    buy: bool,
    sell: bool,
    breakout_window: int,
    fast_ma: int,
    slow_ma: int,
    exit_ma: int,
    liquidity_window: int,
    min_amount: float,
    min_volume_ratio: float,
    max_holding_days: int,
    fee_rate: float,
    out_entry: Any,
    out_exit: Any,
    out_ret: Any,
    n: int,
    state: Any,
    price: Any,
    record_from: int,
) -> int:
    # TrendBreakout run alone on rows t_from … t_to − 1 of one stock's series s (`_adjusted`) from the given
    # state; its closed trades written from record n on (rows as indexed), its state after each row kept
    # from state[record_from] on (−1: not kept); returns the next free record
    cl, hi, vol, amt = s[0], s[1], s[2], s[3]
    for t in range(t_from, t_to):
        if traded[t]:
            below = entered >= 0 and t - entered < max_holding_days and _below_exit_ma(cl, t, exit_ma)
            entry = _entry(
                cl, hi, vol, amt, t, breakout_window, fast_ma, slow_ma, exit_ma, liquidity_window, min_amount,
                min_volume_ratio,
            )  # fmt: skip
            entered, held, entry_row, entry_price, buy, sell, closed, ret = _session(
                t, open_[t] * factor[t], entry, below, entered, held, entry_row, entry_price, buy, sell,
                max_holding_days, fee_rate,
            )  # fmt: skip
            if closed:
                out_entry[n], out_exit[n], out_ret[n] = entry_row, t, ret
                n += 1
            last = t
        if record_from >= 0:
            _record(state, price, record_from + t - t_from, entered, held, entry_row, entry_price, last, buy, sell, n)
    return n


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
