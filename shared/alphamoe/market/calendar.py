"""The XSHG trading calendar, with the data's own sessions outside exchange_calendars' coverage."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import date
from functools import cache

from alphamoe.errors import NoTradingDayError

XSHG_START = date(1990, 12, 19)
"""Where exchange_calendars' XSHG coverage is pinned to start: the Shanghai exchange's first session.

Its default start, "today − 20 years", made sessions vanish from the calendar as the years passed (on
2026-12-02 the week of 2006-11-27). From this day to 2026-05-08 its XSHG sessions equal the SSE
Composite's bars one for one (8,635 sessions, no day on one side only), so no other source is needed
before it. The library accepts starts back to 1990-12-03 (`bound_min`), but the market opened on 12-19."""


@cache
def xshg_sessions() -> tuple[date, ...]:
    """Return exchange_calendars' XSHG sessions, XSHG_START … the library's last precomputed year.

    Both ends are passed: the library's defaults (today − 20 years, today + 1 year) would make the
    calendar depend on the day it is built.
    """
    import pandas as pd
    from exchange_calendars.exchange_calendar_xshg import XSHGExchangeCalendar  # lazy: ~1 s to import

    end = XSHGExchangeCalendar.bound_max()
    calendar = XSHGExchangeCalendar(start=pd.Timestamp(XSHG_START), end=end)
    return tuple(ts.date() for ts in calendar.sessions)


class TradingCalendar:
    """Trading sessions: exchange_calendars XSHG where it has coverage, else the sessions found in data.

    Coverage of the installed release (1990-12-19 … 2026-12-31 for exchange-calendars 4.13) is reported by
    `source(day)`, so callers can say which source decided a day.
    """

    def __init__(self, data_sessions: Iterable[date] = ()) -> None:
        xshg = xshg_sessions()
        first, last = xshg[0], xshg[-1]
        self.first_covered, self.last_covered = first, last
        extra = {d for d in data_sessions if d < first or d > last}
        self._sessions: list[date] = sorted(extra.union(xshg)) if extra else list(xshg)

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
    import pandas as pd  # here, not at the top: the clock and the report read sessions without pandas (~0.3 s)

    return pd.Timestamp(str(value)).date()
