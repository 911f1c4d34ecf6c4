"""Send alerts on every channel from a thread of its own, so that no send ever waits on another or on the caller.

`submit` only appends to bounded in-memory queues under a lock: it never does I/O and never waits for a
send, so whatever calls it (the stream watcher) keeps its pace while a service is slow, down or a black
hole. A failed send is logged and counted, retried per the channel's settings, never raised to the caller.
Delivery is at most once: alerts still queued when the process ends are lost (the events stay on their
streams, the day report and the console).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from alphamoe.alerts.channels.base import Channel, DeliveryError
from alphamoe.alerts.config import ChannelSettings
from alphamoe.alerts.lane import Lane, LaneStats
from alphamoe.alerts.model import Alert
from alphamoe.security.redact import redact

log = logging.getLogger("alphamoe.alerts")
IDLE_WAKE_S = 1.0


class Dispatcher:
    def __init__(
        self,
        channels: Sequence[tuple[Channel, ChannelSettings]],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self._lanes = [(channel, Lane(settings)) for channel, settings in channels]
        self._cond = threading.Condition()
        self._stopping = False
        self._drain_until = 0.0
        self._threads: list[threading.Thread] = []

    def submit(self, alert: Alert) -> None:
        """Queue an alert on every channel that takes it; returns at once."""
        with self._cond:
            now = self.clock()
            for _, lane in self._lanes:
                lane.offer(alert, now)
            self._cond.notify_all()

    def start(self) -> Dispatcher:
        for channel, lane in self._lanes:
            thread = threading.Thread(
                target=self._work, args=(channel, lane), name=f"alerts-{channel.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, *, drain_s: float = 5.0) -> None:
        """Send what is queued for up to `drain_s` (batch windows ignored, rate limits kept), then stop."""
        with self._cond:
            self._stopping = True
            self._drain_until = self.clock() + drain_s
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=drain_s + 1.0)
        for channel, _ in self._lanes:
            channel.close()

    def stats(self) -> dict[str, LaneStats]:
        with self._cond:
            return {str(channel.name): replace(lane.stats) for channel, lane in self._lanes}

    def _next(self, lane: Lane) -> list[Alert] | None:
        # under the lock: the batch due now, else wait for a new alert, the batch's due time or a stop
        while True:
            now = self.clock()
            draining = self._stopping
            if draining and (now >= self._drain_until or len(lane) == 0):
                return None
            batch = lane.take(now, drain=draining)
            if batch is not None:
                return batch
            due = lane.due_at(now, drain=draining)
            wait = IDLE_WAKE_S if due is None else min(IDLE_WAKE_S, max(0.0, due - now))
            if draining:
                wait = min(wait, max(0.0, self._drain_until - now))
            self._cond.wait(timeout=wait or 0.001)

    def _work(self, channel: Channel, lane: Lane) -> None:
        while True:
            with self._cond:
                batch = self._next(lane)
            if batch is None:
                return
            error: DeliveryError | None = None
            try:
                channel.send(batch)
            except DeliveryError as exc:
                error = exc
            except Exception as exc:  # a bug in a channel must not end its thread
                log.exception("alerts: %s failed unexpectedly", channel.name)
                error = DeliveryError(f"{type(exc).__name__}: {redact(str(exc))}")
            with self._cond:
                if error is None:
                    lane.delivered(batch)
                else:
                    again = lane.failed(batch, error, self.clock())
                    log.warning(
                        "alerts: %s: %d alerts %s: %s",
                        channel.name,
                        len(batch),
                        "will be retried" if again else "dropped",
                        redact(str(error)),
                    )
                self._cond.notify_all()
