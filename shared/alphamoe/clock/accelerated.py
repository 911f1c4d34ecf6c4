"""An accelerated clock: a season of sessions run unattended in seconds each, by the schedule's own logic.

Clock time is a simulated time that only `sleep` moves on. `run_schedule` sleeps towards each tick as it
does on the wall clock (data step 16:30 → market.open 09:26 → market.close 15:05 → …); here a sleep waits
the real share of it: `seconds_per_session` real seconds per 24 h of a session day, nothing for a day the
exchange is shut. Clock time holds while the fabric is down (`ready`: Redis or a function restarting)
and, after a tick or a failed one, until the fabric is quiet (`settle`): the wall clock leaves the fabric
hours between the open and the close, so a tick never overtakes the work of the one before. Every tick
is decided exactly at its time, so a season replays the same way however busy the machine is.

The time is simulated, so no run of it is the exchange's session (`schedule.run_mode`: SIMULATION).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as wall

from alphamoe.clock.config import ClockSettings
from alphamoe.errors import ConfigurationError

log = logging.getLogger("alphamoe.clock.accelerated")
DAY_S = 86_400.0
HOLD_S = 0.1  # real seconds between two looks at a fabric that is down or busy
Wait = Callable[[float], None]


class AcceleratedTime:
    """Simulated clock time from `start`: `now()` for the clock, `sleep(s)` for its schedule (see the module)."""

    def __init__(
        self,
        start: datetime,
        seconds_per_session: float,
        *,
        is_session: Callable[[date], bool],
        settle: Callable[[], None] | None = None,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        if start.tzinfo is None:
            raise ConfigurationError("an accelerated clock starts at an aware datetime (the exchange's zone)")
        self.current, self.seconds_per_session = start, seconds_per_session
        self.is_session, self.settle, self.ready = is_session, settle, ready
        self._settle_due = False
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self.current

    def settle_due(self) -> None:
        """Have the next sleep wait for the fabric first (a tick was fired, or failed)."""
        self._settle_due = True

    def real_seconds(self, seconds: float) -> float:
        """Return how long `seconds` of clock time from now last in real time (session days only)."""
        start = self.now()
        end = start + timedelta(seconds=seconds)
        zone = start.tzinfo
        total = 0.0
        cursor = start
        while cursor < end:
            midnight = datetime.combine(cursor.date() + timedelta(days=1), wall(0), tzinfo=zone)
            piece_end = min(end, midnight)
            if self.is_session(cursor.date()):
                total += (piece_end - cursor).total_seconds()
            cursor = piece_end
        return total * self.seconds_per_session / DAY_S

    def sleep(self, seconds: float, wait: Wait = time.sleep) -> None:
        """Move clock time on by `seconds`, after the fabric settled (when due) and the real share has passed."""
        if self.ready is not None and not self.ready():  # a restart under way: time holds, then settles
            self._settle_due = True
            wait(HOLD_S)
            return
        if self._settle_due and self.settle is not None:
            try:
                self.settle()
                self._settle_due = False
            except Exception as exc:  # Redis away or the fabric stuck: time holds, settled again next sleep
                log.warning("accelerated clock: fabric not settled (%s); clock time holds", exc)
                wait(HOLD_S)
                return
        wait(self.real_seconds(seconds))
        with self._lock:
            self.current += timedelta(seconds=seconds)


def accelerated_time(
    cfg: ClockSettings, *, settle: Callable[[], None] | None = None, ready: Callable[[], bool] | None = None
) -> AcceleratedTime:
    """Return the clock time an accelerated clock's settings describe (`accelerate_*`), from 00:00 of its start."""
    from alphamoe.market.calendar import TradingCalendar

    if cfg.accelerate_seconds_per_session is None or cfg.accelerate_start is None:
        raise ConfigurationError(
            "no accelerated clock configured (ALPHAMOE_CLOCK__ACCELERATE_SECONDS_PER_SESSION and "
            "ALPHAMOE_CLOCK__ACCELERATE_START)"
        )
    start = datetime.combine(cfg.accelerate_start, wall(0), tzinfo=cfg.zone)
    calendar = TradingCalendar()
    seconds = cfg.accelerate_seconds_per_session
    return AcceleratedTime(start, seconds, is_session=calendar.is_session, settle=settle, ready=ready)
