"""Pre-open reference data of a trading day: what is known before the 09:30 open of day D.

The exchange publishes D's previous close (ex-rights adjusted), the risk-warning status and suspensions
before the open. This module reads only those fields of D's bars, never D's prices, so decisions of D stay
point in time (DESIGN.md §1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from alphamoe.market.bands import NO_LIMIT_FEN, band_fen, board_codes
from alphamoe.market.bars import BarStore
from alphamoe.market.boards import board_of
from alphamoe.market.limits import NO_LIMIT_UP, PriceBand
from alphamoe.market.ticks import tick_size, to_price

PRE_OPEN_COLUMNS = ["symbol", "prev_close", "st", "listing_index"]


@dataclass(frozen=True, slots=True)
class ReferenceData:
    """One stock's pre-open facts for day D."""

    symbol: str
    day: date
    prev_close: Decimal
    st: bool
    listing_index: int
    band: PriceBand


def pre_open_reference(store: BarStore, day: date) -> dict[str, ReferenceData]:
    """Return reference data for every stock trading on `day`; a stock absent here is suspended or delisted."""
    bars = store.frame(day, day, columns=PRE_OPEN_COLUMNS)
    return reference_data(
        day,
        [str(s) for s in bars["symbol"]],
        bars["prev_close"].to_numpy(),
        bars["st"].to_numpy(),
        bars["listing_index"].to_numpy(),
    )


def reference_data(
    day: date,
    symbols: Sequence[str],
    prev_close: npt.NDArray[np.float64],
    st: npt.NDArray[np.bool_],
    listing_index: npt.NDArray[Any],
) -> dict[str, ReferenceData]:
    """Return the reference data of a cross-section of `day`'s pre-open facts, one entry per symbol.

    The bands of the whole cross-section come at once in whole fen from `market.bands.band_fen`, the
    vectorised twin of `limit_prices` (tested equal), instead of one Decimal computation per stock.
    """
    prices = [to_price(float(p)) for p in prev_close]
    prev_fen = np.array([int(p.scaleb(2)) for p in prices], dtype=np.int64)
    down, up = band_fen(board_codes([board_of(s) for s in symbols]), prev_fen, day, st, listing_index)
    tick = tick_size()
    out: dict[str, ReferenceData] = {}
    for k, symbol in enumerate(symbols):
        limited = up[k] < NO_LIMIT_FEN
        band = PriceBand(_yuan(int(down[k])), _yuan(int(up[k]))) if limited else PriceBand(tick, NO_LIMIT_UP)
        out[symbol] = ReferenceData(
            symbol=symbol,
            day=day,
            prev_close=prices[k],
            st=bool(st[k]),
            listing_index=int(listing_index[k]),
            band=band,
        )
    return out


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)
