"""How far each consumer group is: lag, pending, dead letters; and waiting until a run has gone quiet."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from alphamoe.bus.redis import ALL_STREAMS, DLQ
from alphamoe.errors import AlphamoeError

LAG_COUNT_CAP = 10_000
"""Lag is counted entry by entry (Redis 6.2 has no `lag` in XINFO GROUPS) up to this many."""


@dataclass(frozen=True)
class GroupProgress:
    stream: str
    group: str
    length: int
    lag: int
    pending: int

    @property
    def settled(self) -> bool:
        return self.lag == 0 and self.pending == 0


def progress(client: redis.Redis, *, count_lag: bool = True) -> list[GroupProgress]:
    """Return every (stream, group): its length, entries not yet read (lag) and read but unacked (pending).

    Without `count_lag`, lag is only 0 (caught up) or 1 (behind): cheap enough to poll.
    """
    rows: list[GroupProgress] = []
    for stream in ALL_STREAMS:
        try:
            info: dict[str, object] = client.xinfo_stream(stream)
        except redis.ResponseError:
            continue  # no such stream
        last_generated = str(info["last-generated-id"])
        groups: list[dict[str, object]] = client.xinfo_groups(stream)
        for group in groups:
            last = str(group["last-delivered-id"])
            if last == last_generated:
                lag = 0
            elif count_lag:
                lag = len(client.xrange(stream, min=f"({last}", count=LAG_COUNT_CAP))  # type: ignore[arg-type]
            else:
                lag = 1
            pending = int(str(group["pending"]))
            rows.append(GroupProgress(stream, str(group["name"]), int(str(info["length"])), lag, pending))
    return rows


def dead_letter_count(client: redis.Redis) -> int:
    return int(client.xlen(DLQ))


def wait_quiet(client: redis.Redis, *, timeout_s: float = 120.0, poll_s: float = 0.02) -> float:
    """Wait until every group has read and acked everything (nothing in flight); return the seconds waited.

    Functions write their outputs before they answer and the bridge acks after the answer, so "no lag and
    nothing pending anywhere" means the pipeline has finished with everything published so far.
    """
    started = time.monotonic()
    while True:
        try:
            if all(p.settled for p in progress(client, count_lag=False)):
                return time.monotonic() - started
        except (redis.ConnectionError, redis.TimeoutError):
            pass  # Redis restarting: keep waiting
        if time.monotonic() - started > timeout_s:
            busy = [p for p in progress(client) if not p.settled]
            raise AlphamoeError(f"the fabric did not go quiet within {timeout_s:g} s; still busy: {busy}")
        time.sleep(poll_s)
