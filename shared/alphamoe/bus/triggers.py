"""Start and end a trading day on the fabric: publish market.open / market.close into Redis Streams.

Both carry a run token signed with the event key (`security.runs`): SESSION when the day is the exchange's
today, else SIMULATION. Functions refuse a root event without one, so only a holder of the key starts a run.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from alphamoe.bus.redis import RedisBus
from alphamoe.clock.schedule import run_mode
from alphamoe.errors import ConfigurationError
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import MarketClose, MarketOpen
from alphamoe.security import runs
from alphamoe.security.keys import require_key

if TYPE_CHECKING:  # annotations only: `alphamoe status` reaches the bus without building every setting
    from alphamoe.settings import Settings
    from alphamoe.settings_core import CoreSettings

SOURCE = "/alphamoe/trigger"


def fabric_bus(settings: CoreSettings) -> RedisBus:
    """Return the Redis bus of `settings.redis_url`; the fabric has no meaning without Redis."""
    if not settings.redis_url:
        raise ConfigurationError("no Redis: set ALPHAMOE_REDIS_URL, or start the local cluster (`alphamoe cluster up`)")
    return RedisBus.from_url(settings.redis_url, settings.fabric)


def run_token(settings: Settings, run_id: str, day: date) -> str:
    """Issue the run token of `run_id` on `day` with the settings' event key (refused when the key is weak)."""
    key = require_key(settings.event_key, "ALPHAMOE_EVENT_KEY")
    return runs.issue(key, run_id, day, run_mode(day, datetime.now(UTC), settings.clock))


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
        MarketOpen(trading_day=day, account_id=settings.account_id, force=force),
        run_id=run_id,
        source=SOURCE,
        run_token=run_token(settings, run_id, day),
    )
    return event, bus.publish(event)


def publish_market_close(
    settings: Settings, day: date, *, run_id: str, bus: RedisBus | None = None
) -> tuple[Envelope[Any], bool]:
    """Publish market.close for a run: execute cancels what is open, snapshots the account and reports."""
    bus = bus or fabric_bus(settings)
    event = build_event(
        MarketClose(trading_day=day, account_id=settings.account_id),
        run_id=run_id,
        source=SOURCE,
        run_token=run_token(settings, run_id, day),
    )
    return event, bus.publish(event)
