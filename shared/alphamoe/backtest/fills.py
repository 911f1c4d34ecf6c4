"""Where a day limit order placed at the open fills on a bar: the paper broker's matching, in whole fen.

The rule of `broker.paper` (tested equal): a buy fills at the open when the open is at or under its
limit, else at the limit if the day traded down to it; a bar sealed at limit-up all day never fills a
buy, one sealed at limit-down never fills a sell; a suspended stock has no bar and fills nothing.
`fill_price` and `volume_room` use only integers, floats and bools, so the compiled backtest
(`backtest.compiled.matching`) compiles these very functions.
"""

from __future__ import annotations

from alphamoe.types import Side


def fill_price(is_buy: bool, limit: int, open_: int, high: int, low: int, up: int, down: int) -> int:
    """Return the fill price in fen of a limit order placed at the open, or 0 when it cannot fill."""
    if is_buy:
        if high == low == up:
            return 0
        if open_ <= limit:
            return open_
        return limit if low <= limit else 0
    if high == low == down:
        return 0
    if open_ >= limit:
        return open_
    return limit if high >= limit else 0


def fill_price_fen(side: Side, limit: int, open_: int, high: int, low: int, up: int, down: int) -> int | None:
    """Return the fill price in fen of a limit order placed at the open, or None when it cannot fill."""
    return fill_price(side == Side.BUY, limit, open_, high, low, up, down) or None


def volume_room(volume: float, cap: float, already: int) -> int:
    """Return the shares a fill may still take: `cap` of the day's volume less what was filled already."""
    return max(int(cap * volume) - already, 0)
