"""A hand-driven clock for the clock tests: time moves only when the code under test sleeps or the test says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import redis

from alphamoe.bus.redis import RedisBus
from alphamoe.clock.config import ClockSettings
from alphamoe.clock.ledger import SessionLedger
from alphamoe.clock.trigger import Clock
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import MarketClose, MarketOpen, event_type_of
from support.keys import EVENT_KEY

CFG = ClockSettings(poll_seconds=3600)


@dataclass
class FakeTime:
    """An injectable clock: `now()` for the code, `sleep(s)` advances it instead of waiting."""

    current: datetime
    slept: float = 0.0

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.current += timedelta(seconds=seconds)

    def set(self, day: date, wall: time) -> None:
        self.current = datetime.combine(day, wall, tzinfo=CFG.zone)


def shanghai(day: date, wall: time) -> datetime:
    return datetime.combine(day, wall, tzinfo=CFG.zone)


def make_clock(redis_url: str, at: FakeTime, cfg: ClockSettings = CFG) -> tuple[Clock, RedisBus]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    bus = RedisBus(client)
    clock = Clock(cfg, SessionLedger(client, cfg), bus, account_id="paper", now=at.now, event_key=EVENT_KEY)
    return clock, bus


def published(bus: RedisBus, kind: type[MarketOpen] | type[MarketClose]) -> list[Envelope[MarketOpen | MarketClose]]:
    """Return the ticks on their Redis stream (what the bridge would deliver to scan / execute)."""
    from alphamoe.bus import codec
    from alphamoe.bus.redis import stream_of

    rows = bus.client.xrange(stream_of(event_type_of(kind)))
    return [codec.decode(fields) for _, fields in rows]  # type: ignore[misc]
