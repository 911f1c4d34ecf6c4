"""Small panels written by hand: a few stocks, a few dozen sessions, every price chosen by the test."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from alphamoe.market.bars import Panel


def hand_panel(
    close: Sequence[Sequence[float]] | np.ndarray,
    symbols: Sequence[str] = ("600000.SH",),
    *,
    open_: np.ndarray | None = None,
    high: np.ndarray | None = None,
    low: np.ndarray | None = None,
    prev_close: np.ndarray | None = None,
    volume: np.ndarray | float = 10_000_000.0,
    st: np.ndarray | None = None,
    listing_start: int = 500,
    start: date = date(2024, 1, 2),
) -> Panel:
    """Return a T×N panel from closes (rows = sessions); NaN closes are suspended days.

    Defaults: prev_close = the last traded close (the first row: its own close), open = prev_close,
    high/low = max/min(open, close), amount = volume × close, listing_index counts traded rows from
    `listing_start`.
    """
    c = np.asarray(close, dtype=np.float64).reshape(len(close), -1)
    traded = ~np.isnan(c)
    if prev_close is None:
        last = np.where(traded, c, np.nan)
        filled = last.copy()
        for t in range(1, len(c)):
            filled[t] = np.where(np.isnan(filled[t]), filled[t - 1], filled[t])
        prev_close = np.vstack([c[:1], filled[:-1]])
    o = prev_close if open_ is None else open_
    h = np.fmax(o, c) if high is None else high
    lo = np.fmin(o, c) if low is None else low
    vol = np.broadcast_to(np.asarray(volume, dtype=np.float64), c.shape).copy()

    def bars(values: np.ndarray) -> np.ndarray:
        return np.where(traded, values, np.nan)

    listing = np.where(traded, np.cumsum(traded, axis=0) - 1 + listing_start, -1).astype(np.int32)
    dates = np.busday_offset(np.datetime64(start), np.arange(len(c)), roll="forward").astype("datetime64[D]")
    return Panel(
        dates=dates,
        symbols=tuple(symbols),
        open=bars(o),
        high=bars(h),
        low=bars(lo),
        close=c,
        prev_close=bars(prev_close),
        volume=bars(vol),
        amount=bars(vol * c),
        st=np.zeros(c.shape, dtype=bool) if st is None else st,
        listing_index=listing,
    )


def climb(n: int, start: float = 10.0, step: float = 0.002) -> list[float]:
    """Return n closes rising `step` a day, on the tick."""
    return [round(start * (1 + step) ** t, 2) for t in range(n)]
