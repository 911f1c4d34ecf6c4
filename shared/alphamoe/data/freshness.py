"""The freshness gate: market.open of D runs only on a store that holds the close of the session before D.

Opened per check (a `BarStore` caches its sessions), so a day the evening update has just added is seen.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore
from alphamoe.market.calendar import TradingCalendar


class StaleDataError(DataError):
    """The store lacks the previous session's close: the day would trade on yesterday's picture of the market."""

    def __init__(self, message: str, *, day: date, needed: date, last_complete: date | None) -> None:
        super().__init__(message)
        self.day, self.needed, self.last_complete = day, needed, last_complete


def require_fresh(store: BarStore | Path | str, day: date, calendar: TradingCalendar | None = None) -> None:
    """Raise StaleDataError unless `store` holds the close of the XSHG session before `day` (D−1)."""
    bars = store if isinstance(store, BarStore) else BarStore(store)
    calendar = calendar or TradingCalendar()
    needed = calendar.previous_session(day)
    if needed is None:
        raise DataError(f"no XSHG session before {day.isoformat()}: nothing to open on")
    sessions = bars.sessions()
    if needed in sessions:
        return
    last = sessions[-1] if sessions else None
    raise StaleDataError(
        f"market.open of {day.isoformat()} refused: the bar store at {bars.root} lacks the close of "
        f"{needed.isoformat()} (its last complete day is {last.isoformat() if last else 'none'}); "
        "run `alphamoe data update`, or set ALPHAMOE_CLOCK__ON_STALE=last_complete to run on the last complete day",
        day=day,
        needed=needed,
        last_complete=last,
    )
