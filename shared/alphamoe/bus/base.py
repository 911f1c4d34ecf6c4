"""The interface every bus offers the stages: publish events, park what cannot be handled."""

from __future__ import annotations

from typing import Any, Protocol

from alphamoe.events.envelope import Envelope


class DeadLetter(Protocol):
    def park(self, reason: str, raw: dict[str, Any]) -> object:
        """Keep an event that could not be handled, with the reason: nothing is lost."""


class Bus(DeadLetter, Protocol):
    def publish(self, envelope: Envelope[Any]) -> object:
        """Make an event durable for its subscribers before the producer acknowledges its cause."""
