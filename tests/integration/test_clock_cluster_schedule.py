"""`cluster up --schedule`: the supervisor's clock thread on a real Redis, with an injected time source.

The thread is tested in isolation (no function processes: a whole cluster takes ~60 s to start), through
the same `LocalCluster.start_schedule` that `cluster up --schedule` calls, and `ScheduleKeeper` directly
for the restart of a thread that died.
"""

from __future__ import annotations

import json
import time as walltime
from collections.abc import Callable
from datetime import date, time
from pathlib import Path

import pytest
from support.clock import FakeTime, published, shanghai
from support.keys import EVENT_KEY

from alphamoe.bus.redis import RedisBus
from alphamoe.bus.triggers import day_run_id
from alphamoe.clock.ledger import ClaimStatus
from alphamoe.clock.trigger import Clock
from alphamoe.clock.wiring import build_clock
from alphamoe.cluster.schedule import ScheduleKeeper
from alphamoe.cluster.supervisor import LocalCluster
from alphamoe.events.payloads import MarketOpen
from alphamoe.settings import Settings

pytestmark = pytest.mark.integration

DAY = date(2024, 10, 8)


def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = walltime.monotonic() + timeout_s
    while not condition():
        assert walltime.monotonic() < deadline, "timed out"
        walltime.sleep(0.01)


def cluster(tmp_path: Path, market_dir: Path, redis_url: str, at: FakeTime) -> LocalCluster:
    """A cluster whose Redis is the test's; its clock reads the injected time (report off: no execute here)."""
    settings = Settings(data=market_dir, runs=tmp_path / "runs", event_key=EVENT_KEY.decode())
    made = LocalCluster(
        tmp_path / "cluster",
        settings,
        schedule=True,
        clock_factory=lambda s: build_clock(s, now=at.now, report=False),
    )
    made.directory.mkdir(parents=True)
    made.redis_url = redis_url
    return made


def test_start_schedule_when_cluster_returns_mid_session_then_missed_open_caught_up_once(
    tmp_path: Path, market_dir: Path, redis_url: str
) -> None:
    at = FakeTime(shanghai(DAY, time(10, 12, 3)))  # the cluster was down at 09:26
    up = cluster(tmp_path, market_dir, redis_url, at)
    keeper = up.start_schedule()
    bus = RedisBus.from_url(redis_url)
    assert keeper.waiting.wait(10)  # the catch-up is done: the thread sleeps towards 15:05
    keeper.stop()
    assert "market.open" in keeper.last
    [event] = published(bus, MarketOpen)
    assert event.run_id == day_run_id(up.settings, DAY)  # the fabric's id: the same as `trigger market-open`
    assert event.source == "/alphamoe/clock/catch-up"
    [record] = build_clock(up.settings.model_copy(update={"redis_url": redis_url}), report=False).ledger.records(DAY)
    assert (record.status, record.caught_up) == (ClaimStatus.CLAIMED, True)
    assert "caught up at 10:12:03 while the session is open" in record.note
    state = json.loads(up.state_path.read_text(encoding="utf-8"))
    assert "market.open 2024-10-08 claimed" in state["schedule"]["last"]
    # back again the same morning (the supervisor restarted): the day is claimed, nothing is sent twice
    at.sleep(600)
    again = up.start_schedule()
    assert again.waiting.wait(10)
    again.stop()
    assert again.last == ""  # nothing decided: the day's open is held by the first claim
    assert len(published(bus, MarketOpen)) == 1


def test_start_schedule_when_cluster_returns_after_close_then_open_missed_not_sent(
    tmp_path: Path, market_dir: Path, redis_url: str
) -> None:
    at = FakeTime(shanghai(DAY, time(15, 2)))  # back after the 15:00 close, before the 15:05 close tick
    up = cluster(tmp_path, market_dir, redis_url, at)
    keeper = up.start_schedule()
    assert keeper.waiting.wait(10)
    keeper.stop()
    assert "missed" in keeper.last and "not caught up" in keeper.last
    assert published(RedisBus.from_url(redis_url), MarketOpen) == []


def test_keeper_when_thread_dies_then_restarted_and_the_restart_catches_up(redis_url: str) -> None:
    from support.clock import make_clock

    at = FakeTime(shanghai(DAY, time(9, 40)))
    attempts: list[int] = []

    def flaky() -> Clock:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("node reclaimed")  # not a Redis outage: the thread dies
        return make_clock(redis_url, at)[0]

    keeper = ScheduleKeeper(flaky, restart_delay_s=0.0).start()
    until(lambda: not keeper.alive)
    assert "node reclaimed" in keeper.failure
    assert keeper.check() is True and keeper.restarts == 1
    assert keeper.waiting.wait(10)
    keeper.stop()
    assert "caught up at 09:40:00" in keeper.last
    assert len(published(RedisBus.from_url(redis_url), MarketOpen)) == 1
    assert keeper.check() is False  # stopped: not restarted


def test_keeper_when_stopped_then_thread_ends_promptly(redis_url: str) -> None:
    from support.clock import make_clock

    at = FakeTime(shanghai(DAY, time(8, 0)))  # nothing due: the thread waits for 09:26
    keeper = ScheduleKeeper(lambda: make_clock(redis_url, at)[0]).start()
    assert keeper.waiting.wait(10)
    assert keeper.alive and keeper.last == ""
    started = walltime.monotonic()
    keeper.stop()
    assert not keeper.alive and walltime.monotonic() - started < 2.0
    assert published(RedisBus.from_url(redis_url), MarketOpen) == []
