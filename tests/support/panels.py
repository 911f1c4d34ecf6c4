"""Small hand-made `Panel`s for tests that need one only for its dates, symbols and a few pre-open fields,
and `head`, any panel cut to what was known on one of its days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

from alphamoe.market.bars import IntArray, Panel


def make_panel(
    dates: Sequence[date],
    symbols: Sequence[str],
    *,
    prices: npt.NDArray[np.float64] | None = None,
    prev_close: npt.NDArray[np.float64] | None = None,
    st: npt.NDArray[np.bool_] | None = None,
    listing_index: IntArray | None = None,
) -> Panel:
    """Return a dates × symbols panel: every bar at `prices` (open = high = low = close), 10 CNY by default.

    `listing_index` −1 marks a stock without a bar (suspended); the default lists every stock long ago.
    """
    shape = (len(dates), len(symbols))
    price = np.full(shape, 10.0) if prices is None else prices
    index = np.full(shape, 1000, dtype=np.int32) if listing_index is None else listing_index
    traded = index >= 0
    bar = np.where(traded, price, np.nan)
    return Panel(
        dates=np.array(dates, dtype="datetime64[ns]"),
        symbols=tuple(symbols),
        open=bar.copy(),
        high=bar.copy(),
        low=bar.copy(),
        close=bar.copy(),
        prev_close=np.where(traded, price if prev_close is None else prev_close, np.nan),
        volume=np.where(traded, 1e6, np.nan),
        amount=np.where(traded, 1e7, np.nan),
        st=np.zeros(shape, dtype=np.bool_) if st is None else st,
        listing_index=index,
    )


def head(panel: Panel, rows: int) -> Panel:
    """The first `rows` sessions of the panel: what was known then (the store's `panel(until=dates[rows-1])`)."""
    return Panel(
        dates=panel.dates[:rows],
        symbols=panel.symbols,
        open=panel.open[:rows],
        high=panel.high[:rows],
        low=panel.low[:rows],
        close=panel.close[:rows],
        prev_close=panel.prev_close[:rows],
        volume=panel.volume[:rows],
        amount=panel.amount[:rows],
        st=panel.st[:rows],
        listing_index=panel.listing_index[:rows],
    )
