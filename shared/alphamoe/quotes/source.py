"""The quote source protocol: a stream of snapshots of one trading day, in time order, until a time."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date, time
from decimal import Decimal
from typing import Protocol

from alphamoe.quotes.model import Quote

SESSION_CLOSE = time(15, 1)
"""Where a session's stream ends by default: the closing auction's snapshot lands seconds after 15:00."""


class QuoteSource(Protocol):
    """Snapshots of a trading day's stocks as they come.

    `live` sources (a real-time feed) deliver at the exchange's pace, so execute pumps them on a thread
    while orders arrive; a replay is known in full and is pumped in one go before the close.
    """

    name: str
    live: bool

    def quotes(self, day: date, symbols: Collection[str] | None, until: time) -> Iterator[Quote]:
        """Yield `day`'s snapshots of `symbols` (None: the whole market) in time order, ending before `until`."""
        ...

    def previous_closes(self, day: date, symbols: Collection[str] | None) -> dict[str, Decimal]:
        """Return the exchange's previous close for `day` of `symbols` (None: all it knows), before the open."""
        ...
