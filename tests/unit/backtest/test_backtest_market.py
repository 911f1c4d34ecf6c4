"""`build_market` (issue 15, a cold 10-year backtest): tiles, blocks and threads give the cell-by-cell definition,
in both panel layouts, and leave the panel as it was."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd
import pytest

from alphamoe.backtest.market import CHUNK_ROWS, TILE_COLUMNS, build_market
from alphamoe.market.bands import NO_LIMIT_FEN, band_fen, board_codes, to_fen
from alphamoe.market.bars import Panel
from alphamoe.market.boards import board_of

PRICES = ("open", "high", "low", "close", "prev_close")


def _panel(order: Literal["C", "F"]) -> Panel:
    # more rows than a block and more columns than a tile, across ChiNext's move to 20 % bands (2020-08-24);
    # suspensions, listings in the span, ST days, NaN prices, bars sealed at limit-up
    rng = np.random.default_rng(5)
    days = [d for d in (date(2020, 5, 4) + timedelta(days=k) for k in range(260)) if d.weekday() < 5]
    prefixes = ("600", "000", "300", "688", "830")
    symbols = tuple(
        f"{prefixes[k % 5]}{k:03d}.{'BJ' if k % 5 == 4 else 'SZ' if k % 5 in (1, 2) else 'SH'}" for k in range(300)
    )
    shape = (len(days), len(symbols))
    assert shape[0] > 2 * CHUNK_ROWS and shape[1] > TILE_COLUMNS
    listing = np.cumsum(np.ones(shape, dtype=np.int32), axis=0) - rng.integers(0, 200, shape[1]).astype(np.int32)
    listing[rng.random(shape) < 0.05] = -1  # suspended
    listing[listing < 0] = -1
    traded = listing >= 0
    prev = np.round(rng.uniform(2, 80, shape), 2)
    close = np.round(prev * rng.uniform(0.9, 1.1, shape), 2)
    high, low = np.maximum(close, prev), np.minimum(close, prev)
    sealed = rng.random(shape) < 0.03
    high[sealed] = low[sealed] = close[sealed]
    fields = {"open": close.copy(), "high": high, "low": low, "close": close, "prev_close": prev}
    fields = {k: np.where(traded, v, np.nan) for k, v in fields.items()}
    fields["close"][traded & (rng.random(shape) < 0.01)] = np.nan  # a bar without a close
    return Panel(
        dates=np.array(days, dtype="datetime64[D]"),
        symbols=symbols,
        **{k: np.asarray(v, order=order) for k, v in fields.items()},
        volume=np.asarray(np.where(traded, rng.uniform(1, 1e6, shape), np.nan), order=order),
        amount=np.asarray(np.where(traded, 1e7, np.nan), order=order),
        st=np.asarray(rng.random(shape) < 0.1, order=order),
        listing_index=np.asarray(listing, order=order),
    )


@pytest.mark.parametrize("order", ["C", "F"])
def test_build_market_when_blocks_and_tiles_then_each_cell_as_defined_and_panel_untouched(
    order: Literal["C", "F"],
) -> None:
    panel = _panel(order)
    before = {k: getattr(panel, k).copy() for k in (*PRICES, "volume", "st", "listing_index")}
    market = build_market(panel, 1, min_listing_days=30)
    traded = panel.listing_index >= 0
    for name in PRICES:
        expected = np.where(traded, to_fen(np.nan_to_num(getattr(panel, name))), 0)
        np.testing.assert_array_equal(getattr(market, name), expected, err_msg=name)
    codes = board_codes([board_of(s) for s in panel.symbols])
    for row, stamp in enumerate(panel.dates):
        down, up = band_fen(
            codes, market.prev_close[row], pd.Timestamp(stamp).date(), panel.st[row], panel.listing_index[row]
        )
        np.testing.assert_array_equal(market.down[row], down)
        np.testing.assert_array_equal(market.up[row], up)
    sealed = traded & (market.high == market.low) & (market.up < NO_LIMIT_FEN) & (market.close >= market.up)
    ready = traded & ~panel.st & (panel.listing_index >= 30)
    assert not market.eligible[0].any()
    np.testing.assert_array_equal(market.eligible[1:], ready[1:] & traded[:-1] & ~sealed[:-1])
    assert sealed.any() and market.eligible.any()
    np.testing.assert_array_equal(market.traded, traded)
    np.testing.assert_array_equal(market.volume, panel.volume)
    np.testing.assert_array_equal(market.st, panel.st)
    for array in (*(getattr(market, k) for k in (*PRICES, "up", "down")), market.eligible, market.volume, market.st):
        assert array.flags.c_contiguous
    for name, array in before.items():
        np.testing.assert_array_equal(getattr(panel, name), array, err_msg=f"the panel's {name} changed")
