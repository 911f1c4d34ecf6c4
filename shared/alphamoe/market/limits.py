"""Daily price-limit bands per board, ST status and listing day (DESIGN.md §7)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from alphamoe.market.boards import board_of
from alphamoe.market.rules import rulebook
from alphamoe.market.ticks import round_half_up, tick_size

NO_LIMIT_UP = Decimal("Infinity")


class PriceBand(NamedTuple):
    """The day's allowed price range; `up` is Infinity on days without a daily limit."""

    down: Decimal
    up: Decimal

    @property
    def limited(self) -> bool:
        return self.up.is_finite()

    def contains(self, price: Decimal) -> bool:
        return self.down <= price <= self.up


def limit_prices(
    symbol: str,
    prev_close: Decimal,
    day: date,
    *,
    st: bool = False,
    listing_day_index: int | None = None,
    relisting: bool = False,
) -> PriceBand:
    """Return (limit_down, limit_up) for `symbol` on `day`, rounded half up to the tick.

    `listing_day_index` is the stock's own trading-day count since listing (0 = the listing day): the
    first listing days, and a relisting day, carry no daily limit; then the band is (0.01, Infinity).
    """
    board = board_of(symbol)
    book = rulebook()
    free_days = book.no_limit_listing_days(board, day)
    pct = book.limit_pct(board, day, st=st)
    if relisting or pct is None or (listing_day_index is not None and listing_day_index < free_days):
        return PriceBand(tick_size(), NO_LIMIT_UP)
    up = round_half_up(prev_close * (1 + pct))
    down = max(round_half_up(prev_close * (1 - pct)), tick_size())
    return PriceBand(down, up)
