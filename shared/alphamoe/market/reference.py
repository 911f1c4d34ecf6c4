"""Pre-open reference data of a trading day: what is known before the 09:30 open of day D.

The exchange publishes D's previous close (ex-rights adjusted), the risk-warning status and suspensions
before the open. This module reads only those fields of D's bars, never D's prices, so decisions of D stay
point in time (DESIGN.md §1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from alphamoe.market.bars import BarStore
from alphamoe.market.limits import PriceBand, limit_prices
from alphamoe.market.ticks import to_price


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
    out: dict[str, ReferenceData] = {}
    for symbol, bar in store.day(day).items():
        prev_close = to_price(bar.prev_close)
        out[symbol] = ReferenceData(
            symbol=symbol,
            day=day,
            prev_close=prev_close,
            st=bar.st,
            listing_index=bar.listing_index,
            band=limit_prices(symbol, prev_close, day, st=bar.st, listing_day_index=bar.listing_index),
        )
    return out
