"""Redis Streams bus (DESIGN.md §3): one capped stream per event type, idempotent publish, a dead-letter stream.

Event ids are deterministic (UUIDv5), so publishing is made idempotent by id: a Lua script adds the entry
only if the id was not published before, atomically, and also appends it to the run's log (replay, export).
Consumers record handled ids with `SET NX` and a TTL, so a redelivered event changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from alphamoe.bus import codec
from alphamoe.bus.config import FabricSettings
from alphamoe.errors import clip
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import EVENT_TYPES, Payload
from alphamoe.kv.client import connect

PREFIX = "alphamoe:"
DLQ = PREFIX + "dlq"
DLQ_BYTES = DLQ + ":bytes"
REASON_CHARS = 1000
"""A dead letter's reason is cut to this: it may quote the refused input."""
RUNS = PREFIX + "runs"

_PUBLISH = """
local prior = redis.call('GET', KEYS[1])
if prior then return {0, prior} end
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
local entry = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', unpack(fields))
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', unpack(fields))
redis.call('SET', KEYS[1], entry, 'EX', ARGV[1])
return {1, entry}
"""


PARK_SCRIPT = """
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
local entry = redis.call('XADD', KEYS[1], '*', unpack(fields))
local total = redis.call('INCRBY', KEYS[2], ARGV[3])
if redis.call('XLEN', KEYS[1]) == 1 then
  total = tonumber(ARGV[3])
  redis.call('SET', KEYS[2], total)
end
local maxlen, budget = tonumber(ARGV[1]), tonumber(ARGV[2])
while total > budget or redis.call('XLEN', KEYS[1]) > maxlen do
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  if oldest == nil or oldest[1] == entry then break end
  local size = 0
  for i = 1, #oldest[2], 2 do
    if oldest[2][i] == 'bytes' then size = tonumber(oldest[2][i + 1]) end
  end
  redis.call('XDEL', KEYS[1], oldest[1])
  total = redis.call('DECRBY', KEYS[2], size)
end
return entry
"""


def dead_letter_fields(reason: str, raw: dict[str, Any], source: str, settings: FabricSettings) -> dict[str, str]:
    """Return a dead letter's stream fields: the reason clipped, the raw entry truncated to the entry cap.

    A truncated entry keeps its first `dlq_entry_bytes` characters under `head`, so one oversized request
    cannot take the byte budget the real dead letters share.
    """
    text = json.dumps(raw, default=str)
    if len(text) > settings.dlq_entry_bytes:
        text = json.dumps({"truncated_from": len(text), "head": text[: settings.dlq_entry_bytes]})
    fields = {"reason": clip(reason, REASON_CHARS), "source": source, "raw": text, "ts": f"{time.time():.3f}"}
    fields["bytes"] = str(sum(len(k) + len(v.encode()) for k, v in fields.items()))
    return fields


def park_args(fields: dict[str, str], settings: FabricSettings) -> tuple[list[str], list[str | int]]:
    """Return (keys, args) of the park script: the entry joins alphamoe:dlq, the oldest leave over budget."""
    args: list[str | int] = [settings.stream_maxlen, settings.dlq_max_bytes, fields["bytes"]]
    for name, value in fields.items():
        args += [name, value]
    return [DLQ, DLQ_BYTES], args


def stream_of(event_type: str) -> str:
    """Return the stream of an event type (`alphamoe:com.alphamoe.order.approved`)."""
    return PREFIX + event_type


def run_log(run_id: str) -> str:
    return f"{PREFIX}run:{run_id}"


def published_key(event_id: str) -> str:
    return f"{PREFIX}event:{event_id}"


def handled_key(function: str, event_id: str) -> str:
    return f"{PREFIX}handled:{function}:{event_id}"


ALL_STREAMS = tuple(stream_of(t) for t in EVENT_TYPES)


@dataclass(frozen=True)
class DeadLetterEntry:
    entry_id: str
    reason: str
    source: str
    raw: dict[str, Any]


class RedisBus:
    """Publish events to Redis Streams and keep the records that make consumers idempotent."""

    def __init__(self, client: redis.Redis, settings: FabricSettings | None = None) -> None:
        self.client = client
        self.settings = settings or FabricSettings()
        self._publish = client.register_script(_PUBLISH)
        self._park = client.register_script(PARK_SCRIPT)

    @classmethod
    def from_url(cls, url: str, settings: FabricSettings | None = None) -> RedisBus:
        return cls(connect(url), settings)

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def publish(self, envelope: Envelope[Any]) -> bool:
        """Append the event to its stream unless its id was published before; True when newly added."""
        return self.publish_all([envelope])[0]

    def publish_all(self, envelopes: Sequence[Envelope[Any]]) -> list[bool]:
        """Publish several events in order, in one round trip; each is added at most once."""
        if not envelopes:
            return []
        pipe = self.client.pipeline(transaction=False)
        for envelope in envelopes:
            fields = codec.encode(envelope)
            keys = [published_key(envelope.id), stream_of(envelope.type), run_log(envelope.run_id)]
            args: list[str | int] = [self.settings.ttl_s, self.settings.stream_maxlen]
            for name, value in fields.items():
                args += [name, value]
            self._publish(keys=keys, args=args, client=pipe)
            pipe.hsetnx(RUNS, envelope.run_id, envelope.trading_day.isoformat())
        replies = pipe.execute()
        return [bool(int(reply[0])) for reply in replies[::2]]

    def park(self, reason: str, raw: dict[str, Any], *, source: str = "function") -> str:
        """Keep an event that could not be handled in alphamoe:dlq, with the reason and the original entry.

        The queue is bounded by count (`stream_maxlen`) and by bytes (`dlq_max_bytes`): past either, the
        oldest entries are dropped, so the newest dead letters are the ones kept.
        """
        keys, args = park_args(dead_letter_fields(reason, raw, source, self.settings), self.settings)
        return str(self._park(keys=keys, args=args))

    def dead_letters(self, count: int = 1000) -> list[DeadLetterEntry]:
        rows: list[tuple[str, dict[str, str]]] = self.client.xrange(DLQ, count=count)  # type: ignore[assignment]
        return [
            DeadLetterEntry(entry_id, f["reason"], f.get("source", ""), json.loads(f.get("raw", "{}")))
            for entry_id, f in rows
        ]

    def answered(self, function: str, event_id: str) -> str | None:
        """Return the recorded answer if `function` already handled `event_id` (its outputs are published)."""
        value = self.client.get(handled_key(function, event_id))
        return None if value is None else str(value)

    def record_handled(self, function: str, event_id: str, answer: str) -> bool:
        """Record that `function` handled `event_id` (SET NX with the TTL); False if it was recorded before."""
        return bool(self.client.set(handled_key(function, event_id), answer, nx=True, ex=self.settings.ttl_s))

    def run_entries(self, run_id: str) -> list[dict[str, str]]:
        """Return the stream fields of every event of a run, in publication order."""
        entries: list[dict[str, str]] = []
        start = "-"
        while True:
            rows: list[tuple[str, dict[str, str]]] = self.client.xrange(run_log(run_id), min=start, count=1000)  # type: ignore[assignment]
            entries.extend(fields for _, fields in rows)
            if len(rows) < 1000:
                return entries
            start = "(" + rows[-1][0]

    def run_events(self, run_id: str) -> list[Envelope[Payload]]:
        return [codec.decode(fields) for fields in self.run_entries(run_id)]

    def runs(self) -> dict[str, str]:
        """Return every recorded run id with its trading day."""
        found: dict[str, str] = self.client.hgetall(RUNS)  # type: ignore[assignment]
        return found

    def ensure_groups(self, subscriptions: Iterable[tuple[str, str]]) -> None:
        """Create each (stream, group) at the stream's start (id 0): nothing written before is skipped."""
        for stream, group in subscriptions:
            try:
                self.client.xgroup_create(stream, group, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
