from __future__ import annotations

from datetime import date

import pytest

from alphamoe.errors import NoTradingDayError
from alphamoe.market.calendar import TradingCalendar


@pytest.fixture(scope="module")
def calendar() -> TradingCalendar:
    return TradingCalendar()


def test_sessions_when_national_day_week_2024_then_closed_from_oct_1_to_7(calendar: TradingCalendar) -> None:
    assert calendar.sessions(date(2024, 9, 27), date(2024, 10, 10)) == [
        date(2024, 9, 27),
        date(2024, 9, 30),
        date(2024, 10, 8),
        date(2024, 10, 9),
        date(2024, 10, 10),
    ]


@pytest.mark.parametrize("day", [date(2024, 2, 4), date(2024, 2, 18), date(2024, 9, 29), date(2024, 10, 12)])
def test_is_session_when_weekend_make_up_workday_then_exchange_stays_closed(
    calendar: TradingCalendar, day: date
) -> None:
    # the State Council's make-up working Sundays/Saturdays are not trading days
    assert not calendar.is_session(day)


def test_require_session_when_holiday_then_error_names_the_next_session(calendar: TradingCalendar) -> None:
    with pytest.raises(
        NoTradingDayError, match=r"2024-10-01 is not an A-share trading day.*next trading day is 2024-10-08"
    ):
        calendar.require_session(date(2024, 10, 1))
    with pytest.raises(NoTradingDayError, match="next trading day is 2024-02-19"):
        calendar.require_session(date(2024, 2, 10))  # Spring Festival
    calendar.require_session(date(2024, 2, 8))


def test_next_and_previous_session_when_around_holiday_then_skip_it(calendar: TradingCalendar) -> None:
    assert calendar.next_session(date(2024, 9, 30)) == date(2024, 10, 8)
    assert calendar.previous_session(date(2024, 10, 8)) == date(2024, 9, 30)


def test_calendar_when_day_outside_xshg_coverage_then_sessions_from_data(calendar: TradingCalendar) -> None:
    old = date(1999, 11, 10)
    assert not calendar.is_session(old)
    with_data = TradingCalendar([old])
    assert with_data.is_session(old)
    assert with_data.source(old).startswith("sessions present in the data")
    assert "outside exchange_calendars XSHG coverage" in with_data.source(old)


def test_coverage_when_any_today_then_xshg_starts_on_its_pinned_day(calendar: TradingCalendar) -> None:
    # exchange_calendars' default start is "today − 20 years": on 2026-12-02 the week of 2006-11-27 vanished
    assert calendar.first_covered == date(2006, 11, 27)
    assert calendar.sessions(date(2006, 11, 27), date(2006, 12, 1)) == [date(2006, 11, d) for d in (27, 28, 29, 30)] + [
        date(2006, 12, 1)
    ]
