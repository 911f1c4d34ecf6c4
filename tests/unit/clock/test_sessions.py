"""Which days may be traded: an XSHG session the calendar covers, with bars in the store (issue 16 item 6)."""

from __future__ import annotations

from datetime import date

import pytest

from alphamoe.clock.sessions import require_traded_day, untraded_reason
from alphamoe.errors import NoTradingDayError
from alphamoe.market.calendar import TradingCalendar

CALENDAR = TradingCalendar()
DATA = [date(2021, 9, 28), date(2021, 9, 29), date(2021, 9, 30), date(2021, 10, 8), date(2021, 10, 11)]


def test_untraded_reason_when_session_with_bars_then_none() -> None:
    assert untraded_reason(CALENDAR, DATA, date(2021, 10, 8)) is None


def test_untraded_reason_when_national_day_then_names_next_session() -> None:
    reason = untraded_reason(CALENDAR, DATA, date(2021, 10, 1))
    assert reason == (
        "2021-10-01 (Friday) is not an XSHG session (holiday or weekend): nothing to trade; "
        "the next session is 2021-10-08"
    )


def test_untraded_reason_when_weekend_then_refused() -> None:
    reason = untraded_reason(CALENDAR, DATA, date(2021, 10, 10))
    assert reason is not None and "(Sunday) is not an XSHG session" in reason and "2021-10-11" in reason


def test_untraded_reason_when_after_the_data_ends_then_says_where_it_ends() -> None:
    reason = untraded_reason(CALENDAR, DATA, date(2021, 10, 13))
    assert reason is not None
    assert "outside the data: the bar store covers 2021-09-28 … 2021-10-11" in reason
    assert "alphamoe data update" in reason and "2021-10-12" in reason


def test_untraded_reason_when_gap_in_the_data_then_names_next_session_with_bars() -> None:
    reason = untraded_reason(CALENDAR, [date(2021, 9, 28), date(2021, 9, 30)], date(2021, 9, 29))
    assert reason is not None and "the next session with bars is 2021-09-30" in reason


def test_untraded_reason_when_beyond_calendar_and_data_then_refused() -> None:
    reason = untraded_reason(CALENDAR, DATA, date(2031, 3, 3))
    assert reason is not None and "outside the XSHG calendar" in reason


def test_require_traded_day_when_holiday_then_no_trading_day_error() -> None:
    with pytest.raises(NoTradingDayError, match="next session is 2021-10-08"):
        require_traded_day(CALENDAR, DATA, date(2021, 10, 4))
