"""Read access to the bar store for one process, shared by the stages that need market facts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from alphamoe.errors import AlphamoeError, DataError
from alphamoe.market.bars import BarStore
from alphamoe.market.calendar import TradingCalendar
from alphamoe.market.reference import ReferenceData, pre_open_reference
from alphamoe.quotes.opening import OpeningStore
from alphamoe.risk.facts import FactsSource

log = logging.getLogger("alphamoe.pipeline.market_data")
PreviousCloses = Callable[[date], Mapping[str, Decimal]]
"""The exchange's previous close of each stock for a day, before its open (`QuoteSource.previous_closes`)."""


class MarketData:
    """Read access to the bar store for one process: sessions, point-in-time panels, pre-open reference.

    `opening` (a quote source's previous closes, on an `OpeningStore`) lets a day the store lacks yet be
    traded on its opening rows; `open_day` is called with each event's day, so a long-running function
    sees the days the evening update adds (`BarStore.refresh`) and opens today on its opening rows.
    """

    def __init__(self, store: BarStore, *, opening: PreviousCloses | None = None) -> None:
        self.store = store
        self.opening = opening
        self.calendar = TradingCalendar(store.sessions())
        self.reference = DayCache(self.open_day, self._reference)
        self._day: date | None = None  # the day `open_day` last looked at the store for
        self._lock = threading.Lock()

    def _reference(self, day: date) -> dict[str, ReferenceData]:
        return pre_open_reference(self.store, day)

    def open_day(self, day: date) -> None:
        """Look at the store again for a new day: re-read it if it was written since; a day after its last
        session opens on its opening rows when a quote source gives the previous closes. Once per day."""
        with self._lock:
            if day == self._day:
                return
            changed = self.store.refresh()
            store = self.store
            if self.opening is not None and isinstance(store, OpeningStore) and store.day_opened != day:
                stored = store.sessions() if store.day_opened is None else store.sessions()[:-1]
                if stored and day > stored[-1] and self.calendar.is_session(day):
                    store.open(day, self.opening(day))
                    changed = True
            if changed:
                self.calendar = TradingCalendar(store.sessions())
                self.reference.cache_clear()
            self._day = day

    def require_trading_day(self, day: date) -> date:
        """Check that `day` is a session with bars in the store; return the previous session (D−1)."""
        self.open_day(day)
        self.calendar.require_session(day)
        sessions = self.store.sessions()
        if day not in sessions:
            raise DataError(
                f"the bar store at {self.store.root} has no bars for {day.isoformat()} "
                f"(it covers {sessions[0].isoformat()} … {sessions[-1].isoformat()}); "
                "the paper broker fills against that day's bars"
            )
        previous = self.calendar.previous_session(day)
        if previous is None or previous < sessions[0]:
            raise DataError(f"no history before {day.isoformat()} in {self.store.root}: nothing to scan")
        return previous


class DayCache:
    """A day's pre-open reference, cached for the last few days; each call first opens the day (`open_day`)."""

    def __init__(self, open_day: Callable[[date], None], read: Callable[[date], dict[str, ReferenceData]]) -> None:
        self.open_day = open_day
        self._cached = lru_cache(maxsize=4)(read)

    def __call__(self, day: date) -> dict[str, ReferenceData]:
        self.open_day(day)
        return self._cached(day)

    def cache_info(self) -> Any:
        return self._cached.cache_info()

    def cache_clear(self) -> None:
        self._cached.cache_clear()


def prefetch(data: MarketData, facts: FactsSource, day: date) -> None:
    """Load `day`'s pre-open reference and market facts into the caches (on market.open, while the scan runs).

    A failure is only logged: the event that needs the data reads it again and reports the error there.
    """
    try:
        data.reference(day)
        facts.facts(day)
    except AlphamoeError as exc:
        log.warning("prefetch of %s failed (read again when needed): %s", day, exc)
