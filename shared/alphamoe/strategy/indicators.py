"""Vectorised T×N indicators over panel arrays: trailing windows only, NaN wherever a window has a gap.

A window that touches a suspended day (NaN) gives NaN: a factor is never computed on a partial window, so a
stock resuming from suspension waits a full window before it can signal again. Windows are folded with
elementwise NumPy ops (no numba compile, no per-column loop); every window ends at row t, so row t sees
rows ≤ t only, and a column's values do not depend on its position in the panel.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt

from alphamoe.market.bands import NO_LIMIT_FEN, band_fen, band_regime, board_codes, from_fen, to_fen
from alphamoe.market.bars import BoolArray, FloatArray, Panel
from alphamoe.market.boards import board_of


def _trailing(values: FloatArray, window: int, combine: Callable[[FloatArray, FloatArray], FloatArray]) -> FloatArray:
    # fold the window's rows elementwise, oldest last: every value sees the same operations in the same
    # order whatever its column, so results never depend on column order (a reduction over a strided axis
    # may), and row t is built from rows t−window+1 … t only
    out = np.full(values.shape, np.nan)
    rows = values.shape[0]
    if rows >= window:
        acc = values[window - 1 :].copy()
        for k in range(1, window):
            acc = combine(acc, values[window - 1 - k : rows - k])
        out[window - 1 :] = acc
    return out


def rolling_sum(values: FloatArray, window: int) -> FloatArray:
    return _trailing(values, window, np.add)


def rolling_mean(values: FloatArray, window: int) -> FloatArray:
    out: FloatArray = rolling_sum(values, window) / window
    return out


def rolling_max(values: FloatArray, window: int) -> FloatArray:
    return _trailing(values, window, np.maximum)  # np.maximum propagates NaN: a gap gives NaN


def rolling_std(values: FloatArray, window: int) -> FloatArray:
    """Return the sample standard deviation (ddof=1) over the trailing window.

    Computed from the window's first two moments (no T×N×window temporary): accurate to ~1e-8 relative
    for return-sized values, the only use here; not meant for raw price levels.
    """
    if window < 2:
        raise ValueError(f"rolling_std needs window >= 2, was {window}")
    mean = rolling_mean(values, window)
    mean_square = rolling_mean(values * values, window)
    variance = np.maximum(mean_square - mean * mean, 0.0) * (window / (window - 1))
    out: FloatArray = np.sqrt(variance)
    return out


def lag(values: FloatArray, periods: int = 1) -> FloatArray:
    """Return values shifted down by `periods` rows (row t holds row t−periods), NaN on top."""
    out = np.full_like(values, np.nan)
    out[periods:] = values[:-periods]
    return out


def pct_change(values: FloatArray, periods: int = 1) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = values / lag(values, periods) - 1.0
    return out


def rsi(close: FloatArray, window: int = 14) -> FloatArray:
    """Return the simple-average RSI (Cutler's, as `vbt.RSI` with ewm=False), 0…100.

    RSI = 100 · mean gain / (mean gain + mean |loss|) over the last `window` changes; 50 on a flat window.
    """
    change = np.diff(close, axis=0, prepend=np.nan)
    gain = rolling_mean(np.where(np.isnan(change), np.nan, np.maximum(change, 0.0)), window)
    loss = rolling_mean(np.where(np.isnan(change), np.nan, np.maximum(-change, 0.0)), window)
    total = gain + loss
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(total > 0, 100.0 * gain / total, np.where(np.isnan(total), np.nan, 50.0))
    return out


@lru_cache(maxsize=8)
def _board_codes(symbols: tuple[str, ...]) -> npt.NDArray[np.int8]:
    # a scan asks for the same universe every time: parse 5,500 symbols once, not on every call
    return board_codes([board_of(s) for s in symbols])


def limit_up_prices(panel: Panel, *, first_row: int = 0) -> FloatArray:
    """Return each bar's limit-up price from the dated rule book (board, ST, listing day), on the tick.

    Exact: computed in whole fen by `market.bands.band_fen`, the vectorised twin of `limit_prices`;
    +Infinity on days without a daily limit, where the stock has no bar and on rows before `first_row`
    (the scan needs the last few rows only: each row costs a pass over the rule book).
    """
    up = np.full(panel.close.shape, np.inf)
    up[first_row:] = _limit_up_rows(panel, first_row)
    return up


def _limit_up_rows(panel: Panel, first_row: int) -> FloatArray:
    # `limit_up_prices` of rows first_row … T−1 only
    codes = _board_codes(panel.symbols)
    up = np.empty((max(len(panel.dates) - first_row, 0), len(panel.symbols)))
    for k, t in enumerate(range(first_row, len(panel.dates))):
        day = panel.day(t)
        prev = to_fen(np.nan_to_num(panel.prev_close[t]))
        _, up_fen = band_fen(codes, prev, day, panel.st[t], panel.listing_index[t])
        up[k] = np.where(up_fen < NO_LIMIT_FEN, from_fen(up_fen), np.inf)
    return up


def at_limit_up(panel: Panel) -> BoolArray:
    """Return True where the bar closed at its limit-up price (never on days without a limit)."""
    return limit_up_hits(panel)


def limit_up_hits_at(panel: Panel, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], history: int) -> BoolArray:
    """Return `limit_up_hits` at rows `rows[k] − history + 1 … rows[k]` of column `cols[k]` (K × history).

    The same test as `limit_up_hits`, on the bars a batch of picks reads only (False before row 0), with one
    `band_fen` call per rule-book regime (`band_regime`) instead of one per row: a backtest's picks do not
    pay for a pass over the rule book on every session.
    """
    at_rows = (rows[:, None] - history + 1 + np.arange(history)[None, :]).ravel()
    at_cols = np.broadcast_to(cols[:, None], (len(rows), history)).ravel()
    hits = np.zeros(at_rows.shape, dtype=bool)
    known = np.flatnonzero(at_rows >= 0)
    r, c = at_rows[known], at_cols[known]
    distinct = np.unique(r)
    regimes: dict[tuple[object, ...], list[int]] = {}
    for t in distinct.tolist():
        regimes.setdefault(band_regime(panel.day(t)), []).append(t)
    codes = _board_codes(panel.symbols)
    for members in regimes.values():
        at = np.flatnonzero(np.isin(r, members)) if len(regimes) > 1 else np.arange(len(r))
        rr, cc = r[at], c[at]
        day = panel.day(int(members[0]))  # any day of the regime gives its bands
        prev = to_fen(np.nan_to_num(panel.prev_close[rr, cc]))
        _, up_fen = band_fen(codes[cc], prev, day, panel.st[rr, cc], panel.listing_index[rr, cc])
        up = np.where(up_fen < NO_LIMIT_FEN, from_fen(up_fen), np.inf)
        with np.errstate(invalid="ignore"):
            hits[known[at]] = np.isfinite(up) & (panel.close[rr, cc] >= up - 0.005) & panel.traded[rr, cc]
    return hits.reshape(len(rows), history)


def limit_up_hits(panel: Panel, *, first_row: int = 0, order: Literal["C", "F"] = "C") -> BoolArray:
    """Return True where a traded bar closed at its limit-up price, on rows ≥ `first_row` (False before).

    Only rows ≥ `first_row` are tested: a backtest's decisions read none, the scan's the last few; `order`
    is the layout of the array returned (the strategy kernels walk it column-major).
    """
    hit: BoolArray = np.zeros(panel.close.shape, dtype=np.bool_, order=order)
    first_row = min(max(first_row, 0), len(panel.dates))
    up = _limit_up_rows(panel, first_row)
    with np.errstate(invalid="ignore"):
        hit[first_row:] = np.isfinite(up) & (panel.close[first_row:] >= up - 0.005) & panel.traded[first_row:]
    return hit
