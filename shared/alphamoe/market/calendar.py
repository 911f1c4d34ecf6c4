"""The XSHG trading calendar, with the data's own sessions outside exchange_calendars' coverage."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import date
from functools import cache

import pandas as pd

from alphamoe.errors import NoTradingDayError

XSHG_START = date(2006, 11, 27)
"""Where exchange_calendars' XSHG coverage is pinned to start. Its default, "today − 20 years", made the
sessions of late 2006 vanish from the calendar as the years passed (on 2026-12-02 the week of 2006-11-27)."""


@cache
def _xshg() -> tuple[date, date, tuple[date, ...]]:
    import exchange_calendars as xcals  # lazy: ~1 s to import

    cal = xcals.get_calendar("XSHG", start=XSHG_START.isoformat())
    sessions = tuple(ts.date() for ts in cal.sessions)
    return sessions[0], sessions[-1], sessions


class TradingCalendar:
    """Trading sessions: exchange_calendars XSHG where it has coverage, else the sessions found in data.

    Coverage of the installed release (2006-11-27 … 2026-12-31 for exchange-calendars 4.13) is reported by
    `source(day)`, so callers can say which source decided a day.
    """

    def __init__(self, data_sessions: Iterable[date] = ()) -> None:
        first, last, xshg = _xshg()
        self.first_covered, self.last_covered = first, last
        extra = sorted(d for d in set(data_sessions) if d < first or d > last)
        self._sessions: list[date] = sorted(set(extra) | set(xshg))

    def covered(self, day: date) -> bool:
        return self.first_covered <= day <= self.last_covered

    def source(self, day: date) -> str:
        if self.covered(day):
            return "exchange_calendars XSHG"
        return (
            f"sessions present in the data: {day.isoformat()} is outside exchange_calendars XSHG coverage "
            f"({self.first_covered.isoformat()} … {self.last_covered.isoformat()})"
        )

    def is_session(self, day: date) -> bool:
        i = bisect.bisect_left(self._sessions, day)
        return i < len(self._sessions) and self._sessions[i] == day

    def next_session(self, day: date) -> date | None:
        """Return the first session strictly after day, or None past the end of all sources."""
        i = bisect.bisect_right(self._sessions, day)
        return self._sessions[i] if i < len(self._sessions) else None

    def previous_session(self, day: date) -> date | None:
        """Return the last session strictly before day, or None."""
        i = bisect.bisect_left(self._sessions, day)
        return self._sessions[i - 1] if i > 0 else None

    def sessions(self, start: date, end: date) -> list[date]:
        lo = bisect.bisect_left(self._sessions, start)
        hi = bisect.bisect_right(self._sessions, end)
        return self._sessions[lo:hi]

    def require_session(self, day: date) -> None:
        """Raise NoTradingDayError naming the next session when day is not one."""
        if self.is_session(day):
            return
        nxt = self.next_session(day)
        hint = f"; the next trading day is {nxt.isoformat()}" if nxt else ""
        raise NoTradingDayError(f"{day.isoformat()} is not an A-share trading day ({self.source(day)}){hint}")


def to_date(value: object) -> date:
    """Return a date from a date, datetime, numpy datetime64 or ISO string."""
    if isinstance(value, date):
        return value if type(value) is date else date(value.year, value.month, value.day)
    return pd.Timestamp(str(value)).date()
