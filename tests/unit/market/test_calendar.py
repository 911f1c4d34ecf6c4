from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from support.paths import REAL_DATA

from alphamoe.errors import NoTradingDayError
from alphamoe.market.calendar import XSHG_START, TradingCalendar, xshg_sessions


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
    later = calendar.last_covered + timedelta(days=4)  # past the library's last precomputed year
    assert not calendar.is_session(later)
    with_data = TradingCalendar([later, date(1999, 11, 10)])
    assert with_data.is_session(later)
    assert with_data.source(later).startswith("sessions present in the data")
    assert "outside exchange_calendars XSHG coverage" in with_data.source(later)
    assert with_data.sessions(date(1999, 11, 8), date(1999, 11, 12)) == calendar.sessions(
        date(1999, 11, 8), date(1999, 11, 12)
    )  # inside coverage XSHG decides, whatever the data says


def test_coverage_when_any_today_then_xshg_starts_on_the_first_shanghai_session(calendar: TradingCalendar) -> None:
    # exchange_calendars' default start is "today − 20 years": on 2026-12-02 the week of 2006-11-27 vanished
    assert calendar.first_covered == XSHG_START == date(1990, 12, 19)
    assert calendar.sessions(date(1990, 12, 1), date(1990, 12, 24)) == [date(1990, 12, d) for d in (19, 20, 21, 24)]
    assert calendar.sessions(date(2006, 11, 27), date(2006, 12, 1)) == [date(2006, 11, d) for d in (27, 28, 29, 30)] + [
        date(2006, 12, 1)
    ]


def test_xshg_sessions_when_today_is_far_in_the_future_then_the_same_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    # every default of exchange_calendars that reads today's date, set as if today were 2100-01-01 and made to fail
    from exchange_calendars import exchange_calendar

    pinned = xshg_sessions()
    monkeypatch.setattr(exchange_calendar, "GLOBAL_DEFAULT_START", pd.Timestamp("2080-01-01"))
    monkeypatch.setattr(exchange_calendar, "GLOBAL_DEFAULT_END", pd.Timestamp("2101-01-01"))

    def read_today(cls: type) -> pd.Timestamp:
        raise AssertionError(f"{cls.__name__} built from a default that depends on today's date")

    monkeypatch.setattr(exchange_calendar.ExchangeCalendar, "default_start", classmethod(read_today))
    monkeypatch.setattr(exchange_calendar.ExchangeCalendar, "default_end", classmethod(read_today))
    assert xshg_sessions.__wrapped__() == pinned  # built again, uncached


@pytest.mark.realdata
def test_xshg_when_compared_with_the_sse_composite_then_every_session_agrees(calendar: TradingCalendar) -> None:
    index = REAL_DATA / "index" / "sh000001.csv"
    if not index.is_file():
        pytest.skip(f"real index data not found at {index}")
    bars = sorted(pd.to_datetime(pd.read_csv(index, usecols=["date"])["date"]).dt.date)
    assert bars[0] == XSHG_START
    assert calendar.sessions(bars[0], bars[-1]) == bars  # 8,635 sessions 1990-12-19 … 2026-05-08, none apart
