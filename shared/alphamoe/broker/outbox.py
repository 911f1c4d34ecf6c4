"""Execute's outbox: every order state change the journal records becomes its order.* event exactly once.

The desk writes a change's event into the journal's outbox in the same atomic write as the record it
changed (`Journal.put`), so a SIGKILL can never leave a journaled fill without its event. The event is
built then, with the cause at hand (the event being handled, else the order's own run), so its id is
fixed: whoever publishes it later, and however often, the bus's idempotent publish adds it once. Entries
leave the outbox only after the bus has them (`Journal.ack`), in journal order, so an order's events keep
their order (submitted before filled).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from alphamoe.broker.journal import Journal
from alphamoe.broker.orders import Change, ChangeKind
from alphamoe.bus import codec
from alphamoe.errors import AlphamoeError
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import OrderCancelled, OrderFailed, OrderFilled, OrderSubmitted, Payload

log = logging.getLogger("alphamoe.broker.outbox")
SOURCE = "/alphamoe/execute"
UNRUN = "execute"
"""Run id of a change without a cause of an order journaled without a run (records older than run ids)."""
Publish = Callable[[Sequence[Envelope[Any]]], object]
"""Make events durable on the bus, in order, idempotently by id (`RedisBus.publish_all`)."""


@dataclass(frozen=True)
class Cause:
    """What an order.* event is caused by: the run it belongs to and the event that caused it."""

    run_id: str
    causation_id: str | None = None

    @classmethod
    def of(cls, envelope: Envelope[Any]) -> Cause:
        return cls(envelope.run_id, envelope.id)


def event(change: Change, cause: Cause | None) -> Envelope[Any]:
    """Return the order.* event of a change; without a cause (a broker push) it belongs to the order's run."""
    run_id = cause.run_id if cause is not None else change.record.run_id or UNRUN
    causation = cause.causation_id if cause is not None else None
    return build_event(payload(change), run_id=run_id, source=SOURCE, causation_id=causation)


def encode(envelope: Envelope[Any]) -> str:
    """Return an outbox entry: the event's stream fields as JSON (what the bus writes, id included)."""
    return json.dumps(codec.encode(envelope), separators=(",", ":"), sort_keys=True)


def decode(entry: str) -> Envelope[Any]:
    return codec.decode(json.loads(entry))


def payload(change: Change) -> Payload:
    r = change.record
    common: dict[str, Any] = {
        "trading_day": r.trading_day,
        "order_id": r.order_id,
        "client_order_id": r.client_order_id,
        "account_id": r.account_id,
        "symbol": r.symbol,
        "side": r.side,
        "status": r.status,
    }
    if change.kind is ChangeKind.SUBMITTED:
        return OrderSubmitted(**common, quantity=r.quantity, limit_price=r.limit_price, broker=r.broker)
    if change.kind is ChangeKind.FILLED:
        assert change.fill is not None, "a FILLED change carries its fill"
        return OrderFilled(
            **common,
            fill_quantity=change.fill.quantity,
            fill_price=change.fill.price,
            fees=change.fill.fees,
            cumulative_quantity=r.filled_quantity,
        )
    if change.kind is ChangeKind.CANCELLED:
        return OrderCancelled(**common, filled_quantity=r.filled_quantity, reason=r.reason or "day end")
    return OrderFailed(**common, reason=r.reason or "rejected by broker")


class Outbox:
    """The journal's outbox as events: take them for an answer, or flush them to the bus and ack."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._lock = threading.Lock()

    def pending(self) -> list[Envelope[Any]]:
        """Return the events not yet acknowledged by the bus, in journal order (they stay in the outbox)."""
        with self._lock:
            entries = self.journal.outbox()
        return [decode(e) for e in entries]

    def take(self) -> list[Envelope[Any]]:
        """Return and ack the pending events: for a caller whose bus is this process (the embedded run)."""
        with self._lock:
            entries = self.journal.outbox()
            self.journal.ack(entries)
            return [decode(e) for e in entries]

    def flush(self, publish: Publish) -> int:
        """Publish the pending events, then ack them; return how many. A crash in between publishes again,
        with the same ids, which the bus adds once."""
        with self._lock:
            entries = self.journal.outbox()
            if not entries:
                return 0
            publish([decode(e) for e in entries])
            self.journal.ack(entries)
            return len(entries)


class Publisher:
    """A daemon thread that flushes the outbox when woken (a journal write) and every `every_s` anyway.

    Started, it flushes at once: whatever a killed process journaled but never published goes out first.
    """

    def __init__(self, outbox: Outbox, publish: Publish, *, every_s: float = 1.0) -> None:
        self.outbox, self.publish, self.every_s = outbox, publish, every_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="execute-outbox", daemon=True)

    def start(self) -> Publisher:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before the read: a write after it wakes the next round
            try:
                sent = self.outbox.flush(self.publish)
                if sent:
                    log.debug("published %d order event(s) from the outbox", sent)
            except (AlphamoeError, redis.RedisError) as exc:
                log.warning("outbox not flushed, retrying: %s", exc)
            self._wake.wait(self.every_s)
