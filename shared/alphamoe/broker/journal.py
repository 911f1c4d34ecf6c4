"""Execute's journal: the durable record of every order, written before the order is sent.

Two forms behind one interface: Redis (a hash per account, one field per client order id, so `claim` is
one atomic HSETNX and survives the execute process) and in memory (the embedded run and fast tests).
`claim` is the guard against double sending: only the caller that created the record may send it.
`put` also appends the change's order.* events to the outbox in the same atomic write (`broker/outbox.py`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

import redis

from alphamoe.broker.orders import OrderRecord
from alphamoe.errors import AlphamoeError
from alphamoe.portfolio import AccountState


class JournalUnavailableError(AlphamoeError):
    """The journal cannot be read or written: execute must not send anything (fail closed)."""


class Journal(Protocol):
    def claim(self, record: OrderRecord) -> bool:
        """Create the record if absent; True only for the caller that created it."""
        ...

    def get(self, client_order_id: str) -> OrderRecord | None: ...

    def put(self, record: OrderRecord, events: Sequence[str] = ()) -> None:
        """Replace the record (after a report merged into it) and append its `events` to the outbox, atomically."""
        ...

    def outbox(self, limit: int = 1000) -> list[str]:
        """Return the first `limit` outbox entries, oldest first: events journaled, not yet acked by the bus."""
        ...

    def ack(self, entries: Sequence[str]) -> int:
        """Remove these entries from the head of the outbox (once they are on the bus); return how many."""
        ...

    def records(self, day: date | None = None) -> Sequence[OrderRecord]:
        """Return the account's records (of `day` if given), in client order id order."""
        ...

    def park(self, reason: str, detail: dict[str, Any]) -> None:
        """Keep a refused approval with the reason: never sent, never lost."""
        ...

    def parked(self) -> Sequence[dict[str, Any]]: ...

    def opening(self, day: date) -> AccountState | None:
        """Return the account as it opened on `day`, the base the day's fills are checked against."""
        ...

    def set_opening(self, state: AccountState) -> None:
        """Keep the first opening state of its day; later calls do not replace it."""
        ...

    def closing(self, day: date) -> AccountState | None:
        """Return the account at `day`'s close once the day is closed (its desk released), else None."""
        ...

    def set_closing(self, state: AccountState) -> None:
        """Mark the day closed with the account at its close; the first close stays (a closed day never reopens)."""
        ...


class MemoryJournal:
    """The journal in this process: for the embedded run, where the process is the whole system."""

    def __init__(self) -> None:
        self._records: dict[str, OrderRecord] = {}
        self._parked: list[dict[str, Any]] = []
        self._openings: dict[date, AccountState] = {}
        self._closings: dict[date, AccountState] = {}
        self._outbox: list[str] = []
        self._lock = threading.Lock()

    def claim(self, record: OrderRecord) -> bool:
        with self._lock:
            if record.client_order_id in self._records:
                return False
            self._records[record.client_order_id] = record
            return True

    def get(self, client_order_id: str) -> OrderRecord | None:
        return self._records.get(client_order_id)

    def put(self, record: OrderRecord, events: Sequence[str] = ()) -> None:
        with self._lock:
            self._records[record.client_order_id] = record
            self._outbox.extend(events)

    def outbox(self, limit: int = 1000) -> list[str]:
        with self._lock:
            return self._outbox[:limit]

    def ack(self, entries: Sequence[str]) -> int:
        with self._lock:
            n = 0
            for entry in entries:
                if not self._outbox or self._outbox[0] != entry:
                    break
                self._outbox.pop(0)
                n += 1
            return n

    def records(self, day: date | None = None) -> list[OrderRecord]:
        return [r for _, r in sorted(self._records.items()) if day is None or r.trading_day == day]

    def park(self, reason: str, detail: dict[str, Any]) -> None:
        self._parked.append({"reason": reason, "detail": detail, "at": time.time()})

    def parked(self) -> list[dict[str, Any]]:
        return list(self._parked)

    def opening(self, day: date) -> AccountState | None:
        return self._openings.get(day)

    def set_opening(self, state: AccountState) -> None:
        self._openings.setdefault(state.trading_day, state)

    def closing(self, day: date) -> AccountState | None:
        return self._closings.get(day)

    def set_closing(self, state: AccountState) -> None:
        with self._lock:
            self._closings.setdefault(state.trading_day, state)
            self._openings.pop(state.trading_day, None)  # only an open day's reconciliation reads it


_ACK = """
local n = 0
for _, entry in ipairs(ARGV) do
  if redis.call('LINDEX', KEYS[1], 0) ~= entry then break end
  redis.call('LPOP', KEYS[1])
  n = n + 1
end
return n
"""


class RedisJournal:
    """The journal in Redis: `alphamoe:journal:<account>` (hash cid → record JSON), `…:parked` (list),
    `…:outbox` (list of event entries, appended in the MULTI/EXEC that writes their record) and
    `…:opening`/`…:closing` (hashes day → account state).

    Redis runs with the append-only file on, so a record written before the send survives a crash of
    execute and of Redis itself (up to the fsync interval).
    """

    def __init__(self, client: redis.Redis, account_id: str, *, prefix: str = "alphamoe:journal") -> None:
        self.client = client
        self.key = f"{prefix}:{account_id}"
        self.parked_key = f"{self.key}:parked"
        self.outbox_key = f"{self.key}:outbox"
        self._ack = client.register_script(_ACK)

    def claim(self, record: OrderRecord) -> bool:
        return bool(self._call(self.client.hsetnx, self.key, record.client_order_id, record.model_dump_json()))

    def get(self, client_order_id: str) -> OrderRecord | None:
        raw = self._call(self.client.hget, self.key, client_order_id)
        return None if raw is None else OrderRecord.model_validate_json(raw)

    def put(self, record: OrderRecord, events: Sequence[str] = ()) -> None:
        def write() -> None:
            pipe = self.client.pipeline(transaction=True)  # MULTI/EXEC: the record and its events, or neither
            pipe.hset(self.key, record.client_order_id, record.model_dump_json())
            if events:
                pipe.rpush(self.outbox_key, *events)
            pipe.execute()

        self._call(write)

    def outbox(self, limit: int = 1000) -> list[str]:
        entries: list[str] = self._call(self.client.lrange, self.outbox_key, 0, limit - 1)
        return entries

    def ack(self, entries: Sequence[str]) -> int:
        if not entries:
            return 0
        # only the head, entry by entry: a concurrent flusher that acked first leaves nothing to remove
        return int(self._call(lambda: self._ack(keys=[self.outbox_key], args=list(entries))))

    def records(self, day: date | None = None) -> list[OrderRecord]:
        raw: dict[str, str] = self._call(self.client.hgetall, self.key)
        records = (OrderRecord.model_validate_json(raw[k]) for k in sorted(raw))
        return [r for r in records if day is None or r.trading_day == day]

    def park(self, reason: str, detail: dict[str, Any]) -> None:
        entry = json.dumps({"reason": reason, "detail": detail, "at": time.time()}, default=str)
        self._call(self.client.rpush, self.parked_key, entry)

    def parked(self) -> list[dict[str, Any]]:
        return [json.loads(e) for e in self._call(self.client.lrange, self.parked_key, 0, -1)]

    def opening(self, day: date) -> AccountState | None:
        raw = self._call(self.client.hget, f"{self.key}:opening", day.isoformat())
        return None if raw is None else AccountState.model_validate_json(raw)

    def set_opening(self, state: AccountState) -> None:
        self._call(self.client.hsetnx, f"{self.key}:opening", state.trading_day.isoformat(), state.model_dump_json())

    def closing(self, day: date) -> AccountState | None:
        raw = self._call(self.client.hget, f"{self.key}:closing", day.isoformat())
        return None if raw is None else AccountState.model_validate_json(raw)

    def set_closing(self, state: AccountState) -> None:
        self._call(self.client.hsetnx, f"{self.key}:closing", state.trading_day.isoformat(), state.model_dump_json())

    def _call(self, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except redis.RedisError as exc:
            raise JournalUnavailableError(f"order journal {self.key} unreachable: {exc}") from exc
