"""Batch-barrier state of size and risk (DESIGN.md §4), in memory or in Redis so every replica sees one batch.

A barrier is keyed by stage and run. Members are envelopes under a stable field name; `close` is first-wins
and remembers which event closed the batch, so a redelivery of that very event recomputes the (deterministic)
outputs instead of losing them, and any other late duplicate produces nothing. `join` adds a member only
while the batch is open, atomically, so a member either is decided with its batch or learns it came late.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis

from alphamoe.bus import codec
from alphamoe.events.envelope import Envelope

_OPENED, _CLOSED = "_opened", "_closed"


class BarrierStore(Protocol):
    def add(self, key: str, member: str, envelope: Envelope[Any]) -> None:
        """Add (or replace) one member of the batch `key`; the first add starts its clock."""

    def join(self, key: str, member: str, envelope: Envelope[Any]) -> str | None:
        """Add a member unless batch `key` is closed, in one atomic step; return the closer's id if it is.

        A member joins before the close or not at all, so whoever decides the batch after closing it sees
        every member that joined, and a late arrival learns it is late (risk rejects it, never drops it).
        """

    def members(self, key: str) -> dict[str, Envelope[Any]]:
        """Return the members of batch `key` by field name."""

    def close(self, key: str, by: str) -> str:
        """Close batch `key` for event `by` unless already closed; return the id of the event that closed it."""

    def opened(self) -> dict[str, float]:
        """Return the open (not closed) batches with the epoch second of their first member."""


@dataclass
class _Batch:
    opened: float
    members: dict[str, Envelope[Any]] = field(default_factory=dict)
    closed_by: str | None = None


@dataclass
class MemoryBarrier:
    """Barrier state of one process (the in-process run, or a single function without Redis)."""

    _batches: dict[str, _Batch] = field(default_factory=dict)

    def add(self, key: str, member: str, envelope: Envelope[Any]) -> None:
        self._batches.setdefault(key, _Batch(time.time())).members[member] = envelope

    def join(self, key: str, member: str, envelope: Envelope[Any]) -> str | None:
        batch = self._batches.setdefault(key, _Batch(time.time()))
        if batch.closed_by is None:
            batch.members[member] = envelope
        return batch.closed_by

    def members(self, key: str) -> dict[str, Envelope[Any]]:
        batch = self._batches.get(key)
        return dict(batch.members) if batch else {}

    def close(self, key: str, by: str) -> str:
        batch = self._batches.setdefault(key, _Batch(time.time()))
        if batch.closed_by is None:
            batch.closed_by = by
        return batch.closed_by

    def opened(self) -> dict[str, float]:
        return {k: b.opened for k, b in self._batches.items() if b.closed_by is None}


# KEYS: the batch hash, the set of open batches. ARGV: now, member, envelope JSON, ttl, batch key.
_JOIN = """
local closed = redis.call('HGET', KEYS[1], '_closed')
if closed then return closed end
redis.call('HSETNX', KEYS[1], '_opened', ARGV[1])
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('SADD', KEYS[2], ARGV[5])
return false
"""


class RedisBarrier:
    """Barrier state as one Redis hash per batch (`alphamoe:barrier:<key>`), shared by every replica."""

    def __init__(self, client: redis.Redis, *, ttl_s: int) -> None:
        self.client, self.ttl_s = client, ttl_s
        self._join = client.register_script(_JOIN)

    @staticmethod
    def _hash(key: str) -> str:
        return f"alphamoe:barrier:{key}"

    def add(self, key: str, member: str, envelope: Envelope[Any]) -> None:
        name = self._hash(key)
        pipe = self.client.pipeline(transaction=True)
        pipe.hsetnx(name, _OPENED, f"{time.time():.3f}")
        pipe.hset(name, member, _dump(envelope))
        pipe.expire(name, self.ttl_s)
        pipe.sadd("alphamoe:barriers", key)
        pipe.execute()

    def join(self, key: str, member: str, envelope: Envelope[Any]) -> str | None:
        args: list[str | int] = [f"{time.time():.3f}", member, _dump(envelope), self.ttl_s, key]
        closer = self._join(keys=[self._hash(key), "alphamoe:barriers"], args=args)
        return None if closer is None else str(closer)

    def members(self, key: str) -> dict[str, Envelope[Any]]:
        raw: dict[str, str] = self.client.hgetall(self._hash(key))  # type: ignore[assignment]
        return {k: _load(v) for k, v in raw.items() if not k.startswith("_")}

    def close(self, key: str, by: str) -> str:
        name = self._hash(key)
        pipe = self.client.pipeline(transaction=True)
        pipe.hsetnx(name, _CLOSED, by)
        pipe.hget(name, _CLOSED)
        pipe.srem("alphamoe:barriers", key)
        closer: str = pipe.execute()[1]
        return closer

    def opened(self) -> dict[str, float]:
        found: dict[str, float] = {}
        keys: set[str] = self.client.smembers("alphamoe:barriers")  # type: ignore[assignment]
        for key in sorted(keys):
            opened, closed = self.client.hmget(self._hash(key), [_OPENED, _CLOSED])
            if opened is None:
                self.client.srem("alphamoe:barriers", key)  # expired with its TTL
            elif closed is None:
                found[key] = float(opened)
        return found


def _dump(envelope: Envelope[Any]) -> str:
    return json.dumps(codec.encode(envelope), separators=(",", ":"))


def _load(text: str) -> Envelope[Any]:
    return codec.decode(json.loads(text))


def barrier_store(redis_url: str | None, *, ttl_s: int) -> BarrierStore:
    """Return the Redis barrier when the fabric has Redis, else the in-memory one."""
    if redis_url is None:
        return MemoryBarrier()
    from alphamoe.kv.client import connect

    return RedisBarrier(connect(redis_url), ttl_s=ttl_s)
