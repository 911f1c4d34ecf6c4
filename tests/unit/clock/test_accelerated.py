"""The accelerated clock of an unattended season: simulated time paced in real seconds per session day, held
while the fabric is down or busy, and never the exchange's session (its runs are SIMULATIONs)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from pydantic import ValidationError

from alphamoe.clock.accelerated import AcceleratedTime, accelerated_time
from alphamoe.clock.config import ClockSettings
from alphamoe.clock.schedule import run_mode
from alphamoe.security.runs import RunMode

CFG = ClockSettings()
FRIDAY = date(2025, 3, 28)  # then Saturday, Sunday (no sessions), Monday 2025-03-31
ACCELERATED = ClockSettings(accelerate_seconds_per_session=2.0, accelerate_start=FRIDAY)


def at(day: date, wall: time) -> datetime:
    return datetime.combine(day, wall, tzinfo=CFG.zone)


def test_run_mode_when_clock_accelerated_then_its_today_is_a_simulation_not_a_session() -> None:
    now = at(FRIDAY, time(9, 26))
    assert run_mode(FRIDAY, now, CFG) is RunMode.SESSION  # the wall clock's today is the exchange's session
    assert run_mode(FRIDAY, now, ACCELERATED) is RunMode.SIMULATION  # a simulated today never is


def test_clock_settings_when_accelerated_without_a_start_then_refused_naming_both() -> None:
    with pytest.raises(ValidationError, match=r"accelerate_seconds_per_session and clock\.accelerate_start"):
        ClockSettings(accelerate_seconds_per_session=2.0)


def test_sleep_when_crossing_a_weekend_then_only_session_days_cost_real_time() -> None:
    pace = accelerated_time(ACCELERATED)
    assert pace.now() == at(FRIDAY, time(0))
    waited: list[float] = []
    pace.sleep(3 * 86_400.0, waited.append)  # Friday (a session), Saturday, Sunday
    assert waited == [pytest.approx(2.0)]
    assert pace.now() == at(date(2025, 3, 31), time(0))
    pace.sleep(6 * 3600.0, waited.append)  # a quarter of Monday
    assert waited[-1] == pytest.approx(0.5)


def test_sleep_when_fabric_down_then_time_holds_and_settles_before_moving_on() -> None:
    up, settled = [False], [0]

    def settle() -> None:
        settled[0] += 1

    pace = AcceleratedTime(at(FRIDAY, time(9, 26)), 2.0, is_session=lambda d: True, settle=settle, ready=lambda: up[0])
    waited: list[float] = []
    pace.sleep(3600.0, waited.append)  # Redis restarting: clock time does not move
    assert pace.now() == at(FRIDAY, time(9, 26)) and settled == [0]
    up[0] = True
    pace.sleep(3600.0, waited.append)  # back: the fabric settles first, then the hour passes
    assert settled == [1] and pace.now() == at(FRIDAY, time(10, 26))
    pace.sleep(3600.0, waited.append)  # nothing fired since: no settle
    assert settled == [1]
    pace.settle_due()  # a tick was fired
    pace.sleep(60.0, waited.append)
    assert settled == [2]
