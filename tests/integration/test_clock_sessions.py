"""Once per session on a real Redis: the XSHG calendar's holidays, double triggers, forced reruns, catch-up."""

from __future__ import annotations

import threading
from datetime import date, time, timedelta
from typing import Any

import pytest
import redis
from support.clock import CFG, FakeTime, make_clock, published, shanghai
from support.keys import EVENT_KEY

from alphamoe.clock.ledger import CalendarCoverageError, ClaimStatus, SessionLedger
from alphamoe.clock.runner import run_schedule
from alphamoe.clock.schedule import TickKind
from alphamoe.clock.trigger import Clock
from alphamoe.errors import AuthenticationError
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import MarketClose, MarketOpen
from alphamoe.security import runs

pytestmark = pytest.mark.integration

NATIONAL_DAY_2024 = [date(2024, 10, d) for d in (1, 2, 3, 4, 7)]  # the week's weekdays; 5-6 are a weekend
MAKE_UP_SUNDAYS_2024 = [date(2024, 2, 4), date(2024, 2, 18)]


@pytest.mark.parametrize("day", NATIONAL_DAY_2024)
def test_fire_when_national_day_holiday_then_no_market_open(redis_url: str, day: date) -> None:
    at = FakeTime(shanghai(day, time(9, 26)))
    clock, bus = make_clock(redis_url, at)
    record = clock.fire(TickKind.MARKET_OPEN, trigger="schedule")
    assert record.status is ClaimStatus.NOT_A_SESSION
    assert "next session 2024-10-08" in record.note
    assert published(bus, MarketOpen) == []
    assert clock.ledger.claimed(day, TickKind.MARKET_OPEN) is None


def test_fire_when_today_then_market_open_carries_a_session_run_token(redis_url: str) -> None:
    at = FakeTime(shanghai(date(2024, 10, 8), time(9, 26, 1)))
    clock, bus = make_clock(redis_url, at)
    clock.fire(TickKind.MARKET_OPEN, trigger="schedule")
    [event] = published(bus, MarketOpen)
    assert runs.verify(EVENT_KEY, event.run_token, event.run_id, event.trading_day) is runs.RunMode.SESSION


def test_fire_when_a_trader_names_a_past_day_then_its_run_token_is_a_simulation(redis_url: str) -> None:
    at = FakeTime(shanghai(date(2024, 10, 10), time(16, 0)))
    clock, bus = make_clock(redis_url, at)
    clock.fire(TickKind.MARKET_OPEN, day=date(2024, 10, 8), trigger="manual", on_demand=True)
    [event] = published(bus, MarketOpen)
    assert runs.verify(EVENT_KEY, event.run_token, event.run_id, event.trading_day) is runs.RunMode.SIMULATION
    with pytest.raises(AuthenticationError):  # the token is bound to its run and day
        runs.verify(EVENT_KEY, event.run_token, event.run_id, date(2024, 10, 10))


@pytest.mark.parametrize("day", MAKE_UP_SUNDAYS_2024)
def test_fire_when_make_up_sunday_then_refused_even_forced(redis_url: str, day: date) -> None:
    # China worked these Sundays (Spring Festival make-up days); the exchange did not open
    at = FakeTime(shanghai(day, time(9, 26)))
    clock, bus = make_clock(redis_url, at)
    for force in (False, True):
        record = clock.fire(TickKind.MARKET_OPEN, day=day, trigger="manual", force=force)
        assert record.status is ClaimStatus.NOT_A_SESSION
    assert published(bus, MarketOpen) == []


def test_fire_when_day_after_the_holiday_week_then_claimed_and_published(redis_url: str) -> None:
    at = FakeTime(shanghai(date(2024, 10, 8), time(9, 26, 1)))
    clock, bus = make_clock(redis_url, at)
    record = clock.fire(TickKind.MARKET_OPEN, trigger="schedule")
    assert (record.status, record.run_id, record.caught_up) == (ClaimStatus.CLAIMED, "20241008-clock", False)
    [event] = published(bus, MarketOpen)
    assert (event.trading_day, event.run_id, event.source) == (
        date(2024, 10, 8),
        "20241008-clock",
        "/alphamoe/clock/schedule",
    )


def test_fire_when_day_outside_calendar_coverage_then_refused_loudly(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    ledger = SessionLedger(client, CFG)
    beyond = ledger.calendar.last_covered + timedelta(days=5)
    at = FakeTime(shanghai(beyond, time(9, 26)))
    clock, bus = make_clock(redis_url, at)
    with pytest.raises(CalendarCoverageError, match="outside the XSHG calendar's coverage"):
        clock.fire(TickKind.MARKET_OPEN, day=beyond, trigger="schedule", force=True)
    assert published(bus, MarketOpen) == []


def test_fire_when_second_market_open_same_day_then_acknowledged_and_ignored(redis_url: str) -> None:
    at = FakeTime(shanghai(date(2024, 10, 8), time(9, 26)))
    clock, bus = make_clock(redis_url, at)
    first = clock.fire(TickKind.MARKET_OPEN, trigger="pingsource")
    at.sleep(3)
    second = clock.fire(TickKind.MARKET_OPEN, trigger="cronjob")
    assert first.status is ClaimStatus.CLAIMED
    assert second.status is ClaimStatus.DUPLICATE
    assert second.run_id == first.run_id and "acknowledged and ignored" in second.note
    assert len(published(bus, MarketOpen)) == 1
    assert [r.status for r in clock.ledger.records(date(2024, 10, 8))] == [ClaimStatus.CLAIMED, ClaimStatus.DUPLICATE]


def test_fire_when_forced_then_new_run_id_and_close_follows_it(redis_url: str) -> None:
    day = date(2024, 10, 8)
    at = FakeTime(shanghai(day, time(9, 26)))
    clock, bus = make_clock(redis_url, at)
    clock.fire(TickKind.MARKET_OPEN, trigger="schedule")
    at.set(day, time(11, 0))
    forced = clock.fire(TickKind.MARKET_OPEN, day=day, trigger="manual", force=True)
    again = clock.fire(TickKind.MARKET_OPEN, day=day, trigger="manual", force=True)
    assert (forced.status, forced.run_id, forced.forced) == (ClaimStatus.CLAIMED, "20241008-clock-rerun1", True)
    assert again.run_id == "20241008-clock-rerun2"
    opens = published(bus, MarketOpen)
    assert [e.run_id for e in opens] == ["20241008-clock", "20241008-clock-rerun1", "20241008-clock-rerun2"]
    assert [e.payload.force for e in opens] == [False, True, True]
    assert len({e.id for e in opens}) == 3  # new ids: idempotent consumers do not drop the rerun
    at.set(day, time(15, 5))
    close = clock.fire(TickKind.MARKET_CLOSE, trigger="schedule")
    assert close.run_id == "20241008-clock-rerun2"
    assert [e.run_id for e in published(bus, MarketClose)] == ["20241008-clock-rerun2"]


def test_fire_when_many_nodes_race_then_exactly_one_claims(redis_url: str) -> None:
    at = FakeTime(shanghai(date(2024, 10, 9), time(9, 26)))
    clocks = [make_clock(redis_url, at)[0] for _ in range(8)]
    start = threading.Barrier(len(clocks))
    statuses: list[ClaimStatus] = []

    def fire(clock: Clock) -> None:
        start.wait()
        statuses.append(clock.fire(TickKind.MARKET_OPEN, trigger="race").status)

    threads = [threading.Thread(target=fire, args=(c,)) for c in clocks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(ClaimStatus.CLAIMED) == 1
    assert statuses.count(ClaimStatus.DUPLICATE) == 7
    assert len(published(clocks[0].bus, MarketOpen)) == 1  # type: ignore[arg-type]


def test_catch_up_when_cluster_returns_during_session_then_open_fired_and_said_so(redis_url: str) -> None:
    day = date(2024, 10, 8)
    at = FakeTime(shanghai(day, time(10, 12, 3)))  # down at 09:26, back at 10:12
    clock, bus = make_clock(redis_url, at)
    [record] = clock.catch_up()
    assert (record.event, record.status, record.caught_up) == (TickKind.MARKET_OPEN, ClaimStatus.CLAIMED, True)
    assert "missed; caught up at 10:12:03 while the session is open" in record.note
    [event] = published(bus, MarketOpen)
    assert event.source == "/alphamoe/clock/catch-up"
    assert clock.catch_up() == []  # a second return the same morning finds the day claimed


def test_catch_up_when_cluster_returns_after_close_then_open_not_caught_up(redis_url: str) -> None:
    day = date(2024, 10, 8)
    at = FakeTime(shanghai(day, time(15, 30)))
    clock, bus = make_clock(redis_url, at)
    records = {r.event: r for r in clock.catch_up()}
    assert records[TickKind.MARKET_OPEN].status is ClaimStatus.MISSED
    assert "not caught up" in records[TickKind.MARKET_OPEN].note
    assert published(bus, MarketOpen) == []
    assert records[TickKind.MARKET_CLOSE].status is ClaimStatus.CLAIMED  # the day is still closed and reconciled
    assert records[TickKind.MARKET_CLOSE].caught_up


class _BrokenBus:
    def publish(self, envelope: Envelope[Any]) -> object:
        raise redis.ConnectionError("stream write lost")

    def park(self, reason: str, raw: dict[str, Any]) -> object:
        return None


def test_fire_when_publish_fails_then_claim_released_for_the_retry(redis_url: str) -> None:
    day = date(2024, 10, 8)
    at = FakeTime(shanghai(day, time(9, 26)))
    good, bus = make_clock(redis_url, at)
    broken = Clock(CFG, good.ledger, _BrokenBus(), account_id="paper", now=at.now, event_key=good.event_key)
    with pytest.raises(redis.ConnectionError):
        broken.fire(TickKind.MARKET_OPEN, trigger="pingsource")
    assert good.ledger.claimed(day, TickKind.MARKET_OPEN) is None
    assert good.fire(TickKind.MARKET_OPEN, trigger="pingsource").status is ClaimStatus.CLAIMED
    assert len(published(bus, MarketOpen)) == 1


def test_run_schedule_when_left_running_through_the_national_day_week_then_fires_only_on_sessions(
    redis_url: str,
) -> None:
    at = FakeTime(shanghai(date(2024, 9, 30), time(8, 0)))
    clock, bus = make_clock(redis_url, at)
    seen = []
    run_schedule(
        clock,
        sleep=at.sleep,
        on_record=seen.append,
        keep_going=lambda: at.now() < shanghai(date(2024, 10, 8), time(16, 0)),
    )
    claimed = [(r.trading_day, r.event) for r in seen if r.status is ClaimStatus.CLAIMED]
    assert claimed == [
        (date(2024, 9, 30), TickKind.MARKET_OPEN),
        (date(2024, 9, 30), TickKind.MARKET_CLOSE),
        (date(2024, 10, 8), TickKind.MARKET_OPEN),
        (date(2024, 10, 8), TickKind.MARKET_CLOSE),
    ]
    refused = sorted({r.trading_day for r in seen if r.status is ClaimStatus.NOT_A_SESSION})
    assert refused == NATIONAL_DAY_2024
    assert all(not r.caught_up for r in seen)  # every tick handled at its time: no sleeping through one
    assert [e.trading_day for e in published(bus, MarketOpen)] == [date(2024, 9, 30), date(2024, 10, 8)]


def test_run_schedule_when_started_mid_session_then_catches_up_first(redis_url: str) -> None:
    at = FakeTime(shanghai(date(2024, 10, 9), time(13, 0)))
    clock, _ = make_clock(redis_url, at)
    seen = []
    run_schedule(
        clock,
        sleep=at.sleep,
        on_record=seen.append,
        keep_going=lambda: at.now() < shanghai(date(2024, 10, 9), time(15, 10)),
    )
    assert [(r.event, r.caught_up) for r in seen] == [(TickKind.MARKET_OPEN, True), (TickKind.MARKET_CLOSE, False)]


def test_run_schedule_when_redis_down_at_the_open_then_retried_and_caught_up_while_open(
    redis_url: str, redis_server: Any
) -> None:
    day = date(2024, 10, 8)
    at = FakeTime(shanghai(day, time(9, 0)))
    clock, bus = make_clock(redis_url, at)
    errors: list[Exception] = []
    seen: list[Any] = []

    def sleep(seconds: float) -> None:
        at.sleep(seconds)
        if shanghai(day, time(9, 20)) <= at.now() < shanghai(day, time(10, 0)):
            redis_server.stop()  # the node is reclaimed over the open
        elif redis_server.process is None:
            redis_server.start()  # and comes back at 10:00

    try:
        run_schedule(
            clock, sleep=sleep, on_record=seen.append, on_error=errors.append,
            keep_going=lambda: at.now() < shanghai(day, time(11, 0)),
        )  # fmt: skip
    finally:
        if redis_server.process is None:
            redis_server.start()  # the session's server serves the other tests
    assert errors  # the 09:26 tick failed loudly, and the clock kept going
    [record] = [r for r in seen if r.event is TickKind.MARKET_OPEN and r.status is ClaimStatus.CLAIMED]
    assert record.caught_up and record.decided_at >= shanghai(day, time(10, 0))
    assert len(published(bus, MarketOpen)) == 1
