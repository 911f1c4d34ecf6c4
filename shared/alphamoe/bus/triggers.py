"""Start and end a trading day on the fabric: publish market.open / market.close into Redis Streams."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from alphamoe.bus.redis import RedisBus
from alphamoe.errors import ConfigurationError
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import MarketClose, MarketOpen
from alphamoe.settings import Settings

SOURCE = "/alphamoe/trigger"


def fabric_bus(settings: Settings) -> RedisBus:
    """Return the Redis bus of `settings.redis_url`; the fabric has no meaning without Redis."""
    if not settings.redis_url:
        raise ConfigurationError("no Redis: set ALPHAMOE_REDIS_URL, or start the local cluster (`alphamoe cluster up`)")
    return RedisBus.from_url(settings.redis_url, settings.fabric)


def day_run_id(settings: Settings, day: date, *, force: bool = False) -> str:
    """Return the day's run id: the in-process run's (same day, account and data), new on every `force`."""
    from alphamoe.market.bars import BarStore
    from alphamoe.pipeline.run import default_run_id

    run_id = default_run_id(day, settings, BarStore(settings.data))
    return f"{run_id}-f{time.time_ns() // 1_000_000}" if force else run_id


def publish_market_open(
    settings: Settings, day: date, *, force: bool = False, run_id: str | None = None, bus: RedisBus | None = None
) -> tuple[Envelope[Any], bool]:
    """Publish the day's market.open into Redis; return it and whether it was new.

    Without `force`, publishing the same day twice adds nothing (the event id is deterministic); with
    `force`, a new run id starts a new run of the day.
    """
    bus = bus or fabric_bus(settings)
    run_id = run_id or day_run_id(settings, day, force=force)
    event = build_event(
        MarketOpen(trading_day=day, account_id=settings.account_id, force=force), run_id=run_id, source=SOURCE
    )
    return event, bus.publish(event)


def publish_market_close(
    settings: Settings, day: date, *, run_id: str, bus: RedisBus | None = None
) -> tuple[Envelope[Any], bool]:
    """Publish market.close for a run: execute cancels what is open, snapshots the account and reports."""
    bus = bus or fabric_bus(settings)
    event = build_event(MarketClose(trading_day=day, account_id=settings.account_id), run_id=run_id, source=SOURCE)
    return event, bus.publish(event)
