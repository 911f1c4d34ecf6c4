"""`cluster up --schedule`: the trading day's clock as a supervised thread of the local cluster's supervisor.

The thread runs `alphamoe.clock.run_schedule`, which catches up on start: a market.open missed while the
cluster was down is fired when it comes back, if the session is still open (the ledger says so in the
record; after the close it is recorded as missed). A thread that dies (a bug, not a Redis outage, which
`run_schedule` rides out) is restarted by the supervisor's watcher, as Knative restarts a crashed pod, and
the restart catches up again. Time comes in through the clock's `now` and `sleep`, so tests need no waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from alphamoe.clock.ledger import ClockRecord
from alphamoe.clock.runner import Sleep, run_schedule
from alphamoe.clock.trigger import Clock

log = logging.getLogger("alphamoe.cluster.schedule")


@dataclass
class ScheduleKeeper:
    """Keep one schedule thread alive until `stop()`; `check()` (the watcher's call) restarts a dead one."""

    make_clock: Callable[[], Clock]
    sleep: Sleep | None = None  # None: wait on the stop event, so `cluster down` is prompt
    restart_delay_s: float = 1.0
    on_change: Callable[[], None] | None = None  # the supervisor rewrites its state file
    after_tick: Callable[[], None] | None = None  # an accelerated clock settles the fabric before moving on
    restarts: int = 0
    last: str = ""
    failure: str = ""
    waiting: threading.Event = field(default_factory=threading.Event)  # set once it sleeps: catch-up done
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _died_at: float | None = None

    def start(self) -> ScheduleKeeper:
        self.waiting.clear()
        self._thread = threading.Thread(target=self._run, name="cluster-clock", daemon=True)
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def check(self) -> bool:
        """Restart the schedule thread if it died (after `restart_delay_s`); True when it was restarted."""
        if self._stopping.is_set() or self.alive:
            return False
        now = time.monotonic()
        if self._died_at is None:
            self._died_at = now
        if now - self._died_at < self.restart_delay_s:
            return False
        self._died_at = None
        self.restarts += 1
        log.warning("clock thread died (%s): restarting, restart %d", self.failure or "no error", self.restarts)
        self.start()
        return True

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def wait(self, seconds: float) -> None:
        """Wait real `seconds`, or less when the keeper is stopped (`cluster down` is prompt)."""
        self.waiting.set()
        self._stopping.wait(seconds)

    def _record(self, record: ClockRecord) -> None:
        self.last = f"{record.event.value} {record.trading_day} {record.status.value}: {record.note}"
        log.info("clock: %s", self.last)
        self._changed()

    def _error(self, exc: Exception) -> None:
        self.failure = str(exc)
        log.warning("clock: %s (retrying at the next wake-up)", exc)
        self._changed()

    def _changed(self) -> None:
        if self.after_tick is not None:
            self.after_tick()
        if self.on_change is not None:
            self.on_change()

    def _run(self) -> None:
        try:
            run_schedule(
                self.make_clock(),
                sleep=self.sleep or self.wait,
                on_record=self._record,
                on_error=self._error,
                keep_going=lambda: not self._stopping.is_set(),
            )
        except Exception as exc:  # the thread dies; the watcher restarts it and the restart catches up
            self.failure = f"{type(exc).__name__}: {exc}"
            log.exception("clock thread failed")

    def state(self) -> dict[str, object]:
        return {"alive": self.alive, "restarts": self.restarts, "last": self.last, "failure": self.failure}
