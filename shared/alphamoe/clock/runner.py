"""`alphamoe schedule` in the foreground: catch up on start, then sleep to each tick and fire it.

Time comes in through `now` and `sleep`, so tests drive whole days without waiting. A tick that fails
(Redis down, the report not written) does not stop the clock: it is reported, and every later wake-up
tries the day's catch-up again until it succeeds, so a tick missed while Redis was away still runs if the
session is open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import redis

from alphamoe.clock.ledger import ClockRecord
from alphamoe.clock.schedule import next_tick
from alphamoe.clock.trigger import Clock
from alphamoe.errors import AlphamoeError

Sleep = Callable[[float], None]
Report = Callable[[ClockRecord], None]
Failure = Callable[[Exception], None]
RECOVERABLE = (AlphamoeError, redis.RedisError)


def _catch_up(clock: Clock, on_record: Report, on_error: Failure) -> bool:
    try:
        for record in clock.catch_up():
            on_record(record)
    except RECOVERABLE as exc:
        on_error(exc)
        return False
    return True


def run_schedule(
    clock: Clock,
    *,
    sleep: Sleep,
    on_record: Report = lambda record: None,
    on_error: Failure = lambda exc: None,
    keep_going: Callable[[], bool] = lambda: True,
) -> None:
    """Fire every tick from now on until `keep_going()` is false; ticks the process slept through are handled
    in order on waking (the ledger decides whether each is still worth running)."""
    healthy = _catch_up(clock, on_record, on_error)
    cursor: datetime = clock.now()
    while keep_going():
        tick = next_tick(cursor, clock.cfg, data=clock.data is not None)
        remaining = (tick.at - clock.now()).total_seconds()
        if remaining > 0:
            sleep(min(remaining, clock.cfg.poll_seconds))
            if not healthy:
                healthy = _catch_up(clock, on_record, on_error)
            continue
        try:
            on_record(clock.fire(tick.kind, day=tick.day, trigger="schedule"))
        except RECOVERABLE as exc:
            on_error(exc)
            healthy = False
        cursor = tick.at
