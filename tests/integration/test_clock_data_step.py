"""Issue 16 item 3: the evening data step and the freshness gate, on a real Redis with an injected time.

The step's update is a hand-written vendor stand-in (a function failing a given number of times, then
reporting the day admitted) in place of `data.update.update_store`; the gate reads a real bar store (the
synthetic market, 2024-01-02 … 2025-03-31).
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
import redis
from support.clock import CFG, FakeTime, published, shanghai
from support.keys import EVENT_KEY

from alphamoe.bus.codec import decode
from alphamoe.bus.redis import RedisBus, stream_of
from alphamoe.clock.config import ClockSettings
from alphamoe.clock.ledger import ClaimStatus, SessionLedger
from alphamoe.clock.schedule import TickKind
from alphamoe.clock.trigger import Clock, DataStep
from alphamoe.data.freshness import StaleDataError, require_fresh
from alphamoe.data.update import UpdateReport
from alphamoe.events.payloads import AlertRaised, DataReady, MarketClose, MarketOpen, Payload, event_type_of

pytestmark = pytest.mark.integration

LAST = date(2025, 3, 31)  # the store's last session
NEXT = date(2025, 4, 1)  # its D-1 is LAST: fresh
STALE = date(2025, 4, 2)  # its D-1 (04-01) is not in the store


def events(bus: RedisBus, kind: type[Payload]) -> list[Payload]:
    return [decode(f).payload for _, f in bus.client.xrange(stream_of(event_type_of(kind)))]


class Vendor:
    """A vendor stand-in: fails `outage` times, then reports the day admitted."""

    def __init__(self, outage: int) -> None:
        self.outage, self.calls = outage, 0

    def update(self, day: date) -> UpdateReport:
        self.calls += 1
        if self.calls <= self.outage:
            raise ConnectionError(f"vendor down (call {self.calls})")
        return UpdateReport(
            source="stand-in", target=day, days=[day], admitted=[day], quarantined={}, skipped=[], seconds=0.1
        )


def clock(redis_url: str, at: FakeTime, *, vendor: Vendor | None = None, store: Path | None = None,
          cfg: ClockSettings = CFG) -> tuple[Clock, RedisBus]:  # fmt: skip
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    bus = RedisBus(client)
    ledger = SessionLedger(client, cfg)
    return Clock(
        cfg, ledger, bus, account_id="paper", now=at.now, event_key=EVENT_KEY,
        fresh=(lambda d: require_fresh(store, d, ledger.calendar)) if store else None,
        data=DataStep(vendor.update, at.sleep) if vendor else None,
    ), bus  # fmt: skip


def test_require_fresh_when_store_holds_previous_close_then_passes_else_stale(market_dir: Path) -> None:
    require_fresh(market_dir, NEXT)
    with pytest.raises(StaleDataError, match="lacks the close of 2025-04-01") as caught:
        require_fresh(market_dir, STALE)
    assert caught.value.last_complete == LAST and caught.value.needed == NEXT


def test_data_step_when_vendor_fails_twice_then_retries_and_publishes_data_ready(redis_url: str) -> None:
    at = FakeTime(shanghai(NEXT, time(16, 30)))
    vendor = Vendor(outage=2)
    the_clock, bus = clock(redis_url, at, vendor=vendor)
    record = the_clock.fire(TickKind.DATA_UPDATE, trigger="schedule")
    assert record.status is ClaimStatus.READY and "after 3 attempt(s)" in record.note
    assert at.slept == 2 * CFG.data_retry_seconds
    [ready] = events(bus, DataReady)
    assert isinstance(ready, DataReady) and ready.admitted == [NEXT] and ready.attempts == 3
    assert events(bus, AlertRaised) == []


def test_data_step_when_vendor_keeps_failing_then_stops_after_n_with_an_alert(redis_url: str) -> None:
    at = FakeTime(shanghai(NEXT, time(16, 30)))
    vendor = Vendor(outage=99)
    the_clock, bus = clock(redis_url, at, vendor=vendor)
    record = the_clock.fire(TickKind.DATA_UPDATE, trigger="schedule")
    assert record.status is ClaimStatus.FAILED and f"failed {CFG.data_retries} times; stopped" in record.note
    assert vendor.calls == CFG.data_retries  # not forever
    [alert] = events(bus, AlertRaised)
    assert isinstance(alert, AlertRaised) and alert.code == "DATA_UPDATE_FAILED"
    assert events(bus, DataReady) == []
    again = the_clock.fire(TickKind.DATA_UPDATE, trigger="catch-up")  # the next wake-up: claimed, not retried
    assert again.status is ClaimStatus.DUPLICATE and vendor.calls == CFG.data_retries


def test_run_schedule_when_data_step_set_then_fires_at_1630_on_sessions_only(redis_url: str) -> None:
    from alphamoe.clock.runner import run_schedule

    at = FakeTime(shanghai(date(2024, 9, 30), time(8, 0)))
    vendor = Vendor(outage=0)
    the_clock, bus = clock(redis_url, at, vendor=vendor)
    seen = []
    run_schedule(the_clock, sleep=at.sleep, on_record=seen.append,
                 keep_going=lambda: at.now() < shanghai(date(2024, 10, 8), time(17, 0)))  # fmt: skip
    ready = [(r.trading_day, r.decided_at) for r in seen if r.status is ClaimStatus.READY]
    assert ready == [
        (date(2024, 9, 30), shanghai(date(2024, 9, 30), time(16, 30))),
        (date(2024, 10, 8), shanghai(date(2024, 10, 8), time(16, 30))),
    ]
    assert [e.trading_day for e in events(bus, DataReady)] == [date(2024, 9, 30), date(2024, 10, 8)]


def test_market_open_when_store_lacks_previous_close_then_refused_with_alert_and_no_close(
    redis_url: str, market_dir: Path
) -> None:
    at = FakeTime(shanghai(STALE, time(9, 26)))
    the_clock, bus = clock(redis_url, at, store=market_dir)
    record = the_clock.fire(TickKind.MARKET_OPEN, trigger="schedule")
    assert record.status is ClaimStatus.REFUSED and "lacks the close of 2025-04-01" in record.note
    assert published(bus, MarketOpen) == []
    [alert] = events(bus, AlertRaised)
    assert isinstance(alert, AlertRaised) and alert.code == "STALE_DATA"
    at.set(STALE, time(15, 5))
    closed = the_clock.fire(TickKind.MARKET_CLOSE, trigger="schedule")
    assert closed.status is ClaimStatus.REFUSED and "no market.close sent, no snapshot" in closed.note
    assert published(bus, MarketClose) == []
    statuses = [(r.event, r.status) for r in the_clock.ledger.records(STALE)]  # the clock log the report prints
    assert (TickKind.MARKET_OPEN, ClaimStatus.REFUSED) in statuses


def test_market_open_when_fresh_then_published(redis_url: str, market_dir: Path) -> None:
    at = FakeTime(shanghai(NEXT, time(9, 26)))
    the_clock, bus = clock(redis_url, at, store=market_dir)
    assert the_clock.fire(TickKind.MARKET_OPEN, trigger="schedule").status is ClaimStatus.CLAIMED
    assert [e.trading_day for e in published(bus, MarketOpen)] == [NEXT]


def test_market_open_when_stale_and_last_complete_set_then_runs_and_says_so(redis_url: str, market_dir: Path) -> None:
    at = FakeTime(shanghai(STALE, time(9, 26)))
    cfg = ClockSettings(poll_seconds=3600, on_stale="last_complete")
    the_clock, bus = clock(redis_url, at, store=market_dir, cfg=cfg)
    record = the_clock.fire(TickKind.MARKET_OPEN, trigger="schedule")
    assert record.status is ClaimStatus.STALE and "runs on the last complete day 2025-03-31" in record.note
    assert [e.trading_day for e in published(bus, MarketOpen)] == [STALE]
    assert [r.status for r in the_clock.ledger.records(STALE)] == [ClaimStatus.CLAIMED, ClaimStatus.STALE]


def test_clock_settings_when_data_step_before_close_then_names_the_keys() -> None:
    with pytest.raises(ValueError, match=r"clock\.data_step .* must be after clock\.market_close"):
        ClockSettings(data_step=time(14, 0))
