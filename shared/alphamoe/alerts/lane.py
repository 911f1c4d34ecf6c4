"""One channel's queue: which alerts it takes, when a batch is due, how failed sends come back. No threads, no clock.

A batch is due when its oldest INFO alert has waited `batch_seconds`, at once when it holds a WARNING or
CRITICAL alert or a full message's worth, and never before the rate limit has a token or a retry's wait has
passed. The queue is bounded: past `queue_size` the oldest alert is dropped and counted. A send that fails
in a way worth retrying goes back to the front of the queue (merged with what arrived meanwhile) after a
backoff; after `max_attempts` sends it is dropped, counted and logged by the caller.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from alphamoe.alerts.channels.base import DeliveryError
from alphamoe.alerts.config import ChannelSettings
from alphamoe.alerts.model import Alert, Severity
from alphamoe.alerts.throttle import TokenBucket, retry_delay


@dataclass
class LaneStats:
    """Counters of one channel since start (what `alerts run` prints and logs)."""

    accepted: int = 0
    filtered: int = 0
    dropped: int = 0
    messages: int = 0
    sent: int = 0
    retries: int = 0
    failed: int = 0
    last_error: str = ""


class Lane:
    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        self.bucket = TokenBucket(settings.rate_per_minute)
        self.stats = LaneStats()
        self._queue: deque[tuple[float, Alert]] = deque()
        self._not_before = 0.0
        self._attempt = 0

    def __len__(self) -> int:
        return len(self._queue)

    def wants(self, alert: Alert) -> bool:
        s = self.settings
        return alert.severity.rank >= s.min_severity.rank and (not s.kinds or alert.kind in s.kinds)

    def offer(self, alert: Alert, now: float) -> bool:
        """Queue an alert this channel takes; False when filtered out. Never blocks: a full queue drops its oldest."""
        if not self.wants(alert):
            self.stats.filtered += 1
            return False
        if len(self._queue) >= self.settings.queue_size:
            self._queue.popleft()
            self.stats.dropped += 1
        self._queue.append((now, alert))
        self.stats.accepted += 1
        return True

    def due_at(self, now: float, *, drain: bool = False) -> float | None:
        """Return when the next batch may go (None: nothing queued); `drain` ignores the batch window."""
        if not self._queue:
            return None
        urgent = next((t for t, a in self._queue if a.severity.rank >= Severity.WARNING.rank), None)
        if drain or len(self._queue) >= self.settings.max_alerts:
            flush = now
        elif urgent is not None:
            flush = urgent
        else:
            flush = self._queue[0][0] + self.settings.batch_seconds
        return max(flush, self._not_before, self.bucket.ready_at(now))

    def take(self, now: float, *, drain: bool = False) -> list[Alert] | None:
        """Return the batch to send now (spending a token), or None when none is due."""
        due = self.due_at(now, drain=drain)
        if due is None or due > now or not self.bucket.take(now):
            return None
        count = min(len(self._queue), self.settings.max_alerts)
        return [self._queue.popleft()[1] for _ in range(count)]

    def delivered(self, batch: list[Alert]) -> None:
        self.stats.messages += 1
        self.stats.sent += len(batch)
        self._attempt = 0

    def failed(self, batch: list[Alert], error: DeliveryError, now: float) -> bool:
        """Put a failed batch back for a retry after its backoff; False when it is given up (dropped, counted)."""
        self.stats.last_error = str(error)
        self._attempt += 1
        if not error.retryable or self._attempt >= self.settings.max_attempts:
            self.stats.failed += len(batch)
            self._attempt = 0
            return False
        self.stats.retries += 1
        s = self.settings
        self._not_before = now + retry_delay(self._attempt, s.backoff_s, s.backoff_cap_s, error.retry_after)
        self._queue.extendleft((now - s.batch_seconds, alert) for alert in reversed(batch))
        while len(self._queue) > s.queue_size:
            self._queue.pop()
            self.stats.dropped += 1
        return True
