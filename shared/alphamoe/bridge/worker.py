"""The bridge loop: XREADGROUP → HTTP CloudEvent (binary mode) → XACK after a 2xx only.

Delivery is at-least-once. Failed deliveries are retried with exponential backoff; a permanent refusal
(4xx) or `max_attempts` failures park the entry in `alphamoe:dlq` with the reason and the original fields,
then ack it. On start, a bridge first re-reads its own pending entries (a crash left them unacked); it also
`XAUTOCLAIM`s entries other consumers left idle past `claim_idle_ms`, so several replicas can share a group
and a dead one's entries are not stranded. Knative's RedisStreamSource, by contrast, acks failed sends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import redis
import redis.asyncio as aioredis

from alphamoe.bridge.http import DeliveryError, PostClient
from alphamoe.bridge.subscriptions import Subscription, is_ordered
from alphamoe.bus import codec
from alphamoe.bus.config import FabricSettings
from alphamoe.bus.redis import PARK_SCRIPT, dead_letter_fields, park_args, stream_of
from alphamoe.functions.guard import BRIDGE_HEADER
from alphamoe.functions.telemetry import bound
from alphamoe.security import hops

log = logging.getLogger("alphamoe.bridge")
PERMANENT = frozenset({400, 401, 403, 404, 405, 410, 413, 415, 422})
"""Statuses that retrying cannot change: the event itself is refused (401: the hop's signature, another key)."""
ACK_WINDOW_S = 0.002
"""How long answered entries gather before one XACK settles them all: far below any claim idle time."""
Entry3 = tuple[str, str, dict[str, str]]
"""(stream, entry id, fields) of one stream entry."""


@dataclass
class BridgeStats:
    delivered: int = 0
    retried: int = 0
    dead_lettered: int = 0
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))


class _Acks:
    """Entries delivered with a 2xx, waiting for one batched XACK per stream (one round trip per batch)."""

    def __init__(self) -> None:
        self.ids: dict[str, list[str]] = defaultdict(list)
        self.ready = asyncio.Event()

    def add(self, stream: str, entry_id: str) -> None:
        self.ids[stream].append(entry_id)
        self.ready.set()

    def take(self) -> dict[str, list[str]]:
        taken, self.ids = self.ids, defaultdict(list)
        self.ready.clear()
        return taken


class Bridge:
    """Deliver every subscription's stream entries to its function; one consumer name per replica.

    Per subscription, a reader feeds a bounded queue from XREADGROUP (COUNT batches), `concurrency` workers
    POST over keep-alive connections (one worker, hence stream order, for ORDERED functions), and an acker
    XACKs what was answered 2xx in batches, so no delivery waits on its own ack round trip.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        subscriptions: list[Subscription],
        settings: FabricSettings,
        *,
        consumer: str,
        key: bytes,
    ) -> None:
        """`key`: the event key every POST is signed with (`security.hops`); functions refuse unsigned hops."""
        self.client, self.subscriptions, self.settings, self.consumer = client, subscriptions, settings, consumer
        self.key = key
        self._park = client.register_script(PARK_SCRIPT)
        self.http = PostClient(settings.http_timeout_s)
        self.stats = BridgeStats()
        self._in_flight: set[tuple[str, str, str]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Run every subscription's loop until `stop` is set; acks of answered entries are written before return."""
        acks = {sub.group: _Acks() for sub in self.subscriptions}
        tasks: list[asyncio.Task[None]] = []
        for sub in self.subscriptions:
            queue: asyncio.Queue[Entry3] = asyncio.Queue(maxsize=self._width(sub))
            tasks.append(asyncio.create_task(self._loop(sub, stop, queue, acks[sub.group])))
            tasks += [asyncio.create_task(self._worker(sub, queue, acks[sub.group])) for _ in range(self._width(sub))]
        ackers = [asyncio.create_task(self._acker(sub, acks[sub.group])) for sub in self.subscriptions]
        try:
            await stop.wait()
        finally:
            for task in tasks + ackers:
                task.cancel()
            await asyncio.gather(*tasks, *ackers, return_exceptions=True)
            for sub in self.subscriptions:  # what was answered 2xx must not be redelivered needlessly
                await self._flush(sub, acks[sub.group])
            await self.http.aclose()

    def _width(self, sub: Subscription) -> int:
        return 1 if is_ordered(sub.function) else self.settings.concurrency

    async def ensure_groups(self) -> None:
        for sub in self.subscriptions:
            for event_type in sub.types:
                try:
                    await self.client.xgroup_create(stream_of(event_type), sub.group, id="0", mkstream=True)
                except redis.ResponseError as exc:
                    if "BUSYGROUP" not in str(exc):
                        raise

    async def _loop(self, sub: Subscription, stop: asyncio.Event, queue: asyncio.Queue[Entry3], acks: _Acks) -> None:
        streams = [stream_of(t) for t in sub.types]
        pending_first, next_claim, delay = True, 0.0, self.settings.backoff_s
        while not stop.is_set():
            try:
                if pending_first:  # our own entries a previous run of this consumer left unacked
                    await self.ensure_groups()
                    await queue.join()  # re-reading "0" must not return entries still being delivered or acked
                    await self._flush(sub, acks)
                    batch = await self._read(sub, streams, "0", block=None)
                    pending_first = bool(batch)
                elif time.monotonic() >= next_claim:
                    batch = await self._claim(sub, streams)
                    next_claim = time.monotonic() + self.settings.claim_idle_ms / 2000
                else:
                    batch = await self._read(sub, streams, ">", block=500)
                for stream, entry_id, fields in batch:
                    key = (sub.group, stream, entry_id)
                    if key in self._in_flight:
                        continue  # claimed back while this replica is still delivering it
                    self._in_flight.add(key)
                    await queue.put((stream, entry_id, fields))
                delay = self.settings.backoff_s
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("Redis unavailable for %s, retrying in %.2f s: %s", sub.function, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.backoff_cap_s)
            except redis.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                pending_first = True  # the group vanished (a Redis without its AOF): create it again

    async def _worker(self, sub: Subscription, queue: asyncio.Queue[Entry3], acks: _Acks) -> None:
        while True:
            stream, entry_id, fields = await queue.get()
            delivered = False
            try:
                delivered = await self._deliver(sub, stream, entry_id, fields)
            finally:
                if delivered:  # still "in flight" until its XACK is written: XAUTOCLAIM must not take it back
                    acks.add(stream, entry_id)
                else:
                    self._in_flight.discard((sub.group, stream, entry_id))
                queue.task_done()

    async def _acker(self, sub: Subscription, acks: _Acks) -> None:
        while True:
            await acks.ready.wait()
            await asyncio.sleep(ACK_WINDOW_S)  # let the answers arriving meanwhile share this XACK
            await self._flush(sub, acks)

    async def _flush(self, sub: Subscription, acks: _Acks) -> None:
        taken = acks.take()
        if not taken:
            return

        async def write() -> list[Any]:
            pipe = self.client.pipeline(transaction=False)
            for stream, ids in taken.items():
                pipe.xack(stream, sub.group, *ids)
            result: list[Any] = await pipe.execute()
            return result

        try:
            await self._settle(write)
        except asyncio.CancelledError:  # stopping mid-write: the final flush in `run` writes them again
            for stream, ids in taken.items():
                acks.ids[stream].extend(ids)
            raise
        for stream, ids in taken.items():
            self._in_flight.difference_update((sub.group, stream, entry_id) for entry_id in ids)
            self.stats.delivered += len(ids)

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

    async def _deliver(self, sub: Subscription, stream: str, entry_id: str, fields: dict[str, str]) -> bool:
        """Deliver one entry; True when answered 2xx (the caller acks it), False when it was dead-lettered."""
        with bound(
            event_id=fields.get("id", ""),
            run_id=fields.get("runid", ""),
            causation_id=fields.get("causationid", ""),
            function=sub.function,
        ):
            headers, body = codec.http_message(fields)
            headers[BRIDGE_HEADER] = self.consumer
            headers = hops.signed(headers, body, self.key)
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
                        return True
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
            return False

    async def _dead_letter(
        self, sub: Subscription, stream: str, entry_id: str, fields: dict[str, str], reason: str
    ) -> list[Any]:
        raw = {"function": sub.function, "stream": stream, "entry_id": entry_id, "fields": fields}
        keys, args = park_args(dead_letter_fields(reason, raw, "bridge", self.settings), self.settings)
        pipe = self.client.pipeline(transaction=True)
        await self._park(keys=keys, args=args, client=pipe)
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
    redis_url: str,
    subscriptions: list[Subscription],
    settings: FabricSettings,
    *,
    consumer: str,
    key: bytes,
    stop: asyncio.Event,
) -> BridgeStats:
    """Connect and run a bridge until `stop` is set; return its counters. `key`: `require_key(event_key, …)`."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=10, socket_connect_timeout=5)
    bridge = Bridge(client, subscriptions, settings, consumer=consumer, key=key)
    try:
        await bridge.run(stop)
    finally:
        await client.aclose()
    return bridge.stats
