"""When the ticks fall: Asia/Shanghai wall clock, weekdays only, cron lines for the manifests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from pydantic import ValidationError

from alphamoe.clock.config import ClockSettings
from alphamoe.clock.schedule import TickKind, cron_expression, due_ticks, local_day, next_tick, tick_at, ticks_on

CFG = ClockSettings()


def test_tick_at_when_default_settings_then_open_is_0926_shanghai_which_is_0126_utc() -> None:
    at = tick_at(TickKind.MARKET_OPEN, date(2024, 10, 8), CFG)
    assert at.astimezone(UTC) == datetime(2024, 10, 8, 1, 26, tzinfo=UTC)
    assert tick_at(TickKind.MARKET_CLOSE, date(2024, 10, 8), CFG).astimezone(UTC).time() == time(7, 5)


@pytest.mark.parametrize("day", [date(2024, 2, 4), date(2024, 2, 18), date(2024, 10, 12)])
def test_ticks_on_when_weekend_then_none_even_if_a_make_up_working_day(day: date) -> None:
    # 2024-02-04 and 02-18 (Sundays) and 10-12 (Saturday) were make-up working days, but the exchange stays shut
    assert ticks_on(day, CFG) == ()


def test_ticks_on_when_weekday_then_open_then_close() -> None:
    ticks = ticks_on(date(2024, 10, 1), CFG)  # a holiday still gets ticks: the ledger refuses it, not the schedule
    assert [t.kind for t in ticks] == [TickKind.MARKET_OPEN, TickKind.MARKET_CLOSE]


def test_next_tick_when_friday_after_close_then_monday_open() -> None:
    friday_evening = datetime(2024, 10, 11, 15, 6, tzinfo=CFG.zone)
    tick = next_tick(friday_evening, CFG)
    assert (tick.kind, tick.day) == (TickKind.MARKET_OPEN, date(2024, 10, 14))


def test_next_tick_when_exactly_at_a_tick_then_the_following_one() -> None:
    at_open = tick_at(TickKind.MARKET_OPEN, date(2024, 10, 8), CFG)
    assert next_tick(at_open, CFG).kind is TickKind.MARKET_CLOSE


def test_local_day_when_utc_evening_then_next_shanghai_day() -> None:
    assert local_day(datetime(2024, 10, 7, 17, 0, tzinfo=UTC), CFG) == date(2024, 10, 8)


def test_due_ticks_when_mid_session_then_only_the_open() -> None:
    now = datetime(2024, 10, 8, 10, 12, tzinfo=CFG.zone)
    assert [t.kind for t in due_ticks(now, CFG)] == [TickKind.MARKET_OPEN]


def test_cron_expression_when_defaults_then_weekday_lines() -> None:
    assert cron_expression(TickKind.MARKET_OPEN, CFG) == "26 9 * * 1-5"
    assert cron_expression(TickKind.MARKET_CLOSE, CFG) == "5 15 * * 1-5"


def test_clock_settings_when_unknown_zone_then_names_the_key() -> None:
    with pytest.raises(ValidationError, match=r"clock\.timezone"):
        ClockSettings(timezone="Asia/Beijing")


def test_clock_settings_when_open_after_close_then_refused() -> None:
    with pytest.raises(ValidationError, match="market_open"):
        ClockSettings(market_open=time(15, 30))


def test_settings_when_env_sets_clock_then_nested_value_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from alphamoe.settings import Settings

    monkeypatch.setenv("ALPHAMOE_CLOCK__MARKET_OPEN", "09:27")
    assert Settings().clock.market_open == time(9, 27)
