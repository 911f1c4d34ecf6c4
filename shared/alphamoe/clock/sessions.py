"""Which days can be traded by hand or by the clock: an XSHG session the calendar covers, with bars in the store.

A holiday, a weekend, a day outside the calendar or after the data ends is refused before anything is
published, naming the next session, so no run starts that could only end in dead letters and no account
snapshot is written for a day that was not traded.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date

from alphamoe.errors import NoTradingDayError
from alphamoe.market.calendar import TradingCalendar


def untraded_reason(calendar: TradingCalendar, sessions: Sequence[date], day: date) -> str | None:
    """Return why `day` cannot be traded on a store holding `sessions` (ascending), or None when it can."""
    if not calendar.covered(day) and not calendar.is_session(day):
        return (
            f"{day.isoformat()} is outside the XSHG calendar ({calendar.first_covered.isoformat()} … "
            f"{calendar.last_covered.isoformat()}) and outside the data: the exchange's sessions there are unknown"
        )
    if not calendar.is_session(day):
        nxt = calendar.next_session(day)
        hint = f"; the next session is {nxt.isoformat()}" if nxt else ""
        return f"{day.isoformat()} ({day:%A}) is not an XSHG session (holiday or weekend): nothing to trade{hint}"
    if day in sessions:
        return None
    if not sessions:
        return f"the bar store holds no session: {day.isoformat()} has no bars to trade on (run `alphamoe data update`)"
    after = bisect_right(sessions, day)
    nxt_in_data = sessions[after] if after < len(sessions) else None
    hint = (
        f"; the next session with bars is {nxt_in_data.isoformat()}"
        if nxt_in_data
        else f"; run `alphamoe data update` (the next session is {calendar.next_session(sessions[-1])})"
    )
    return (
        f"{day.isoformat()} is outside the data: the bar store covers {sessions[0].isoformat()} … "
        f"{sessions[-1].isoformat()} and has no bars for it{hint}"
    )


def require_traded_day(calendar: TradingCalendar, sessions: Sequence[date], day: date) -> None:
    """Raise NoTradingDayError (exit 2 in the CLI) when `day` cannot be traded; see `untraded_reason`."""
    reason = untraded_reason(calendar, sessions, day)
    if reason is not None:
        raise NoTradingDayError(reason)
