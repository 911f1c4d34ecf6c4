"""In-memory bus of the embedded mode: FIFO dispatch to handlers in this process, with a full event log."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from alphamoe.events.envelope import Envelope

Handler = Callable[[Envelope[Any]], Sequence[Envelope[Any]]]
BatchHandler = Callable[[Sequence[Envelope[Any]]], Sequence[Envelope[Any]]]


@dataclass
class ParkedEvent:
    reason: str
    raw: dict[str, Any]


@dataclass
class InMemoryBus:
    """Deliver each published event to the handlers subscribed to its type, in publication order.

    Handlers return their output events, which are published in turn; `drain()` runs until quiet. The log
    keeps every event, in order, so a run can be reported or recorded for replay.
    """

    log: list[Envelope[Any]] = field(default_factory=list)
    dead_letters: list[ParkedEvent] = field(default_factory=list)
    _handlers: dict[str, list[Handler]] = field(default_factory=dict)
    _batch_handlers: dict[str, BatchHandler] = field(default_factory=dict)
    _queue: deque[Envelope[Any]] = field(default_factory=deque)

    def subscribe(self, event_type: str, handler: Handler) -> None:
        self._handlers.setdefault(event_type, []).append(handler)

    def subscribe_batch(self, event_type: str, handler: BatchHandler) -> None:
        """Hand every queued event of `event_type` to `handler` at once (the router reviews a batch in parallel)."""
        self._batch_handlers[event_type] = handler

    def publish(self, envelope: Envelope[Any]) -> None:
        self.log.append(envelope)
        self._queue.append(envelope)

    def park(self, reason: str, raw: dict[str, Any]) -> None:
        self.dead_letters.append(ParkedEvent(reason, raw))

    def drain(self) -> None:
        while self._queue:
            envelope = self._queue.popleft()
            batch_handler = self._batch_handlers.get(envelope.type)
            if batch_handler is not None:
                batch = [envelope, *(e for e in self._queue if e.type == envelope.type)]
                self._queue = deque(e for e in self._queue if e.type != envelope.type)
                for output in batch_handler(batch):
                    self.publish(output)
            for handler in self._handlers.get(envelope.type, ()):
                for output in handler(envelope):
                    self.publish(output)

    def events(self, event_type: str) -> list[Envelope[Any]]:
        return [e for e in self.log if e.type == event_type]
