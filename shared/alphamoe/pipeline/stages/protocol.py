"""The one interface every stage offers whatever runs it: the runtime calls it, it never probes for methods.

A function process (`functions/runtime.py`) calls `start()` once its settings are built, `handle()` per event,
`expire()` on a one-second timer, `health()` on each readiness probe and `stop()` at shutdown; `warm()` runs
before readiness and `publish_with()` hands the stage the bus for what it publishes between events. A stage
overrides only what it needs: `BaseStage` gives the no-op defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from alphamoe.events.envelope import Envelope
from alphamoe.pipeline.stages.common import Outputs

if TYPE_CHECKING:
    from alphamoe.broker.outbox import Publish


class Stage(Protocol):
    """One step of the pipeline: turns an input event into its output events."""

    name: str

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        """Handle one event; raise EventError (400), ApprovalError (403) or DataError (422) to refuse it."""
        ...

    def start(self) -> None:
        """Recover what a previous process left (execute: reconcile the journal's open days)."""
        ...

    def stop(self) -> None:
        """Release what the stage holds (execute: its broker sessions and threads)."""
        ...

    def health(self) -> tuple[bool, str]:
        """Readiness beyond 'built': False with the reason keeps the function out of rotation."""
        ...

    def expire(self, now: float | None = None) -> Outputs:
        """Close batches whose barrier waited past its timeout; nothing else wakes a batch that lost an event."""
        ...

    def warm(self) -> None:
        """Pay one-off costs (compiled kernels) before readiness, so the first event is fast."""
        ...

    def publish_with(self, publish: Publish) -> None:
        """Publish events the stage makes between requests (execute's outbox) through `publish`."""
        ...


class BaseStage:
    """No-op defaults of `Stage`: a stage that only handles events inherits these."""

    name: str

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def health(self) -> tuple[bool, str]:
        return True, "OK"

    def expire(self, now: float | None = None) -> Outputs:
        return []

    def warm(self) -> None:
        return None

    def publish_with(self, publish: Publish) -> None:
        return None
