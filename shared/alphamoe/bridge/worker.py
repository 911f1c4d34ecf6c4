"""The bridge loop: XREADGROUP → HTTP CloudEvent (binary mode) → XACK after a 2xx only.

Delivery is at-least-once. Failed deliveries are retried with exponential backoff; a permanent refusal
(4xx) or `max_attempts` failures park the entry in `alphamoe:dlq` with the reason and the original fields,
then ack it. On start, a bridge first re-reads its own pending entries (a crash left them unacked); it also
`XAUTOCLAIM`s entries other consumers left idle past `claim_idle_ms`, so several replicas can share a group
and a dead one's entries are not stranded. Knative's RedisStreamSource, by contrast, acks failed sends.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import redis
import redis.asyncio as aioredis

from alphamoe.bridge.http import DeliveryError, PostClient
from alphamoe.bridge.subscriptions import ORDERED, Subscription
from alphamoe.bus import codec
from alphamoe.bus.config import FabricSettings
from alphamoe.bus.redis import DLQ, stream_of
from alphamoe.functions.guard import BRIDGE_HEADER
from alphamoe.functions.telemetry import bound

log = logging.getLogger("alphamoe.bridge")
PERMANENT = frozenset({400, 403, 404, 405, 410, 413, 415, 422})
"""Statuses that retrying cannot change: the event itself is refused."""
Entry3 = tuple[str, str, dict[str, str]]
"""(stream, entry id, fields) of one stream entry."""


@dataclass
class BridgeStats:
    delivered: int = 0
    retried: int = 0
    dead_lettered: int = 0
    latencies_ms: list[float] = field(default_factory=list)


class Bridge:
    """Deliver every subscription's stream entries to its function; one consumer name per replica."""

    def __init__(
        self,
        client: aioredis.Redis,
        subscriptions: list[Subscription],
        settings: FabricSettings,
        *,
        consumer: str,
    ) -> None:
        self.client, self.subscriptions, self.settings, self.consumer = client, subscriptions, settings, consumer
        self.http = PostClient(settings.http_timeout_s)
        self.stats = BridgeStats()
        self._in_flight: set[tuple[str, str, str]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Run every subscription's loop until `stop` is set."""
        loops = [asyncio.create_task(self._loop(sub, stop)) for sub in self.subscriptions]
        try:
            await stop.wait()
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await self.http.aclose()

    async def ensure_groups(self) -> None:
        for sub in self.subscriptions:
            for event_type in sub.types:
                try:
                    await self.client.xgroup_create(stream_of(event_type), sub.group, id="0", mkstream=True)
                except redis.ResponseError as exc:
                    if "BUSYGROUP" not in str(exc):
                        raise

    async def _loop(self, sub: Subscription, stop: asyncio.Event) -> None:
        limit = asyncio.Semaphore(1 if sub.function in ORDERED else self.settings.concurrency)
        streams = [stream_of(t) for t in sub.types]
        pending_first, next_claim, delay = True, 0.0, self.settings.backoff_s
        while not stop.is_set():
            try:
                if pending_first:  # our own entries a previous run of this consumer left unacked
                    await self.ensure_groups()
                    batch = await self._read(sub, streams, "0", block=None)
                    pending_first = bool(batch)
                elif time.monotonic() >= next_claim:
                    batch = await self._claim(sub, streams)
                    next_claim = time.monotonic() + self.settings.claim_idle_ms / 2000
                else:
                    batch = await self._read(sub, streams, ">", block=500)
                await self._deliver_all(sub, batch, limit)
                delay = self.settings.backoff_s
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("Redis unavailable for %s, retrying in %.2f s: %s", sub.function, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.backoff_cap_s)
            except redis.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                pending_first = True  # the group vanished (a Redis without its AOF): create it again

    async def _read(self, sub: Subscription, streams: list[str], start: str, *, block: int | None) -> list[Entry3]:
        # RESP2 (the default protocol) answers a list of [stream, [(id, fields), ...]].
        reply: list[tuple[str, list[tuple[str, dict[str, str]]]]] = await self.client.xreadgroup(  # type: ignore[assignment]
            sub.group, self.consumer, dict.fromkeys(streams, start), count=256, block=block
        )
        return [(stream, entry_id, fields) for stream, rows in reply or [] for entry_id, fields in rows if fields]

    async def _claim(self, sub: Subscription, streams: list[str]) -> list[Entry3]:
        claimed: list[Entry3] = []
        for stream in streams:
            reply = await self.client.xautoclaim(
                stream, sub.group, self.consumer, self.settings.claim_idle_ms, start_id="0-0", count=256
            )
            claimed.extend((stream, entry_id, fields) for entry_id, fields in reply[1] if fields)
        return claimed

    async def _deliver_all(self, sub: Subscription, batch: list[Entry3], limit: asyncio.Semaphore) -> None:
        async def one(stream: str, entry_id: str, fields: dict[str, str]) -> None:
            key = (sub.group, stream, entry_id)
            if key in self._in_flight:
                return  # claimed back while this replica is still delivering it
            self._in_flight.add(key)
            try:
                async with limit:
                    await self._deliver(sub, stream, entry_id, fields)
            finally:
                self._in_flight.discard(key)

        if sub.function in ORDERED:
            for stream, entry_id, fields in batch:
                await one(stream, entry_id, fields)
        else:
            await asyncio.gather(*(one(*entry) for entry in batch))

    async def _deliver(self, sub: Subscription, stream: str, entry_id: str, fields: dict[str, str]) -> None:
        with bound(
            event_id=fields.get("id", ""),
            run_id=fields.get("runid", ""),
            causation_id=fields.get("causationid", ""),
            function=sub.function,
        ):
            headers, body = codec.http_message(fields)
            headers[BRIDGE_HEADER] = self.consumer
            delay, reason, attempt = self.settings.backoff_s, "", 0
            while attempt < self.settings.max_attempts:
                started = time.perf_counter()
                try:
                    response = await self.http.post(sub.url, headers, body)
                except DeliveryError as exc:
                    if exc.connect:
                        # Nobody listening: the function is restarting or scaling from zero. The event has not
                        # been tried, so this is no attempt; it waits, unacked, however long that takes.
                        log.warning("%s unreachable at %s, waiting %.2f s: %s", sub.function, sub.url, delay, exc)
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, self.settings.backoff_cap_s)
                        continue
                    attempt += 1
                    reason = f"delivery to {sub.function} at {sub.url} failed: {exc}"
                else:
                    attempt += 1
                    if 200 <= response.status < 300:
                        self.stats.latencies_ms.append((time.perf_counter() - started) * 1000)
                        await self._settle(lambda: self.client.xack(stream, sub.group, entry_id))
                        self.stats.delivered += 1
                        return
                    text = response.body[:500].decode("utf-8", "replace")
                    reason = f"{sub.function} answered {response.status}: {text}"
                    if response.status in PERMANENT:
                        break
                if attempt < self.settings.max_attempts:
                    self.stats.retried += 1
                    log.warning("attempt %d failed, retrying in %.2f s: %s", attempt, delay, reason)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.settings.backoff_cap_s)
            log.error("dead-lettered: %s", reason)
            await self._settle(lambda: self._dead_letter(sub, stream, entry_id, fields, reason))
            self.stats.dead_lettered += 1

    async def _dead_letter(
        self, sub: Subscription, stream: str, entry_id: str, fields: dict[str, str], reason: str
    ) -> list[Any]:
        raw = {"function": sub.function, "stream": stream, "entry_id": entry_id, "fields": fields}
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(
            DLQ,
            {"reason": reason, "source": "bridge", "raw": json.dumps(raw), "ts": f"{time.time():.3f}"},
            maxlen=self.settings.stream_maxlen,
            approximate=True,
        )
        pipe.xack(stream, sub.group, entry_id)
        result: list[Any] = await pipe.execute()
        return result

    async def _settle(self, write: Callable[[], Awaitable[Any]]) -> None:
        # An ack lost to a Redis restart leaves the entry pending: retried here, else XAUTOCLAIM redelivers it.
        delay = self.settings.backoff_s
        deadline = time.monotonic() + 30
        while True:
            try:
                await write()
                return
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                if time.monotonic() > deadline:
                    log.error("could not record the outcome in Redis; the entry will be redelivered: %s", exc)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.backoff_cap_s)


async def run_bridge(
    redis_url: str, subscriptions: list[Subscription], settings: FabricSettings, *, consumer: str, stop: asyncio.Event
) -> BridgeStats:
    """Connect and run a bridge until `stop` is set; return its counters."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=10, socket_connect_timeout=5)
    bridge = Bridge(client, subscriptions, settings, consumer=consumer)
    try:
        await bridge.run(stop)
    finally:
        await client.aclose()
    return bridge.stats
