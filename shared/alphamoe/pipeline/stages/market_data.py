"""Read access to the bar store for one process, shared by the stages that need market facts."""

from __future__ import annotations

import logging
from datetime import date
from functools import lru_cache

from alphamoe.errors import AlphamoeError, DataError
from alphamoe.market.bars import BarStore
from alphamoe.market.calendar import TradingCalendar
from alphamoe.market.reference import ReferenceData, pre_open_reference
from alphamoe.risk.facts import FactsSource

log = logging.getLogger("alphamoe.pipeline.market_data")


class MarketData:
    """Read access to the bar store for one process: sessions, point-in-time panels, pre-open reference."""

    def __init__(self, store: BarStore) -> None:
        self.store = store
        self.calendar = TradingCalendar(store.sessions())
        self.reference = lru_cache(maxsize=4)(self._reference)

    def _reference(self, day: date) -> dict[str, ReferenceData]:
        return pre_open_reference(self.store, day)

    def require_trading_day(self, day: date) -> date:
        """Check that `day` is a session with bars in the store; return the previous session (D−1)."""
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


def prefetch(data: MarketData, facts: FactsSource, day: date) -> None:
    """Load `day`'s pre-open reference and market facts into the caches (on market.open, while the scan runs).

    A failure is only logged: the event that needs the data reads it again and reports the error there.
    """
    try:
        data.reference(day)
        facts.facts(day)
    except AlphamoeError as exc:
        log.warning("prefetch of %s failed (read again when needed): %s", day, exc)
