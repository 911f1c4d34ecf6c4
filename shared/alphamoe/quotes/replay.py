"""A past day replayed from the bar store as quotes: the 09:25 auction print, then a path through the bar.

Each stock's bar (open, high, low, close, volume) becomes four snapshots: the auction print at the open
(09:25, a twentieth of the day's volume), the first extreme at 10:30, the second at 13:30 and the close at
15:00, with the rest of the volume in three equal legs. The extremes come in the order the bar implies: a
day that closed at or above its open went down first (open → low → high → close), one that closed below
went up first (open → high → low → close). Deterministic, so the same day replays the same fills; and its
last snapshot holds the day's open, high, low and volume, so an order placed at the open sees the day's
bar by the close (`quotes.tape`).
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore, DayBar
from alphamoe.market.ticks import to_price
from alphamoe.quotes.model import Quote

EXCHANGE_TZ = ZoneInfo("Asia/Shanghai")
PATH_TIMES = (time(9, 25), time(10, 30), time(13, 30), time(15, 0))
AUCTION_SHARE = 20  # the auction print carries 1/20 of the day's volume


def bar_path(bar: DayBar) -> list[Quote]:
    """Return the four snapshots of one stock's day bar (see the module docstring)."""
    o, h, lo, c = (to_price(v) for v in (bar.open, bar.high, bar.low, bar.close))
    first, second = (lo, h) if c >= o else (h, lo)
    volume = int(bar.volume)
    auction = volume // AUCTION_SHARE
    rest = volume - auction
    cumulative = (auction, auction + rest // 3, auction + 2 * rest // 3, volume)
    prices = (o, first, second, c)
    amount = Decimal(str(bar.amount))
    out: list[Quote] = []
    high = low = o
    for at, price, traded in zip(PATH_TIMES, prices, cumulative, strict=True):
        high, low = max(high, price), min(low, price)
        out.append(
            Quote(
                symbol=bar.symbol,
                time=datetime.combine(bar.day, at, EXCHANGE_TZ),
                last=price,
                open=o,
                high=high,
                low=low,
                last_close=to_price(bar.prev_close),
                volume=traded,
                amount=(amount * traded / volume).quantize(Decimal("0.01")) if volume else Decimal("0"),
            )
        )
    return out


class StoreReplay:
    """Quotes of a past day from the bar store's own bars (no network, no clock)."""

    name = "replay"
    live = False

    def __init__(self, store: BarStore) -> None:
        self.store = store

    def previous_closes(self, day: date, symbols: Collection[str] | None) -> dict[str, Decimal]:
        bars = self.store.day(day)
        return {s: to_price(b.prev_close) for s, b in bars.items() if symbols is None or s in symbols}

    def quotes(self, day: date, symbols: Collection[str] | None, until: time) -> Iterator[Quote]:
        bars = self.store.day(day)
        if not bars:
            raise DataError(
                f"--quotes replay needs the day's bars: the bar store at {self.store.root} has none for {day}"
            )
        wanted = sorted(bars if symbols is None else (s for s in symbols if s in bars))
        paths = [bar_path(bars[s]) for s in wanted if bars[s].volume > 0 and bars[s].prev_close > 0]
        end = datetime.combine(day, until, EXCHANGE_TZ)
        for quote in heapq.merge(*paths, key=lambda q: (q.time, q.symbol)):
            if quote.time >= end:
                return
            yield quote
