"""The broker session: connect, notice a drop, reconnect with backoff, and be ready only after reconciling.

xtquant's `connect()` is one-shot and each session needs a new session id, so a reconnect is a new
session (the adapter picks the id). Nothing new is sent between a reconnect and the end of the
reconciliation that follows it: readiness is the state READY, nothing less.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from alphamoe.broker.protocol import Broker, BrokerUnavailableError
from alphamoe.errors import AlphamoeError

log = logging.getLogger("alphamoe.broker.session")


class SessionState(StrEnum):
    DISCONNECTED = "DISCONNECTED"
    RECONCILING = "RECONCILING"
    READY = "READY"
    FAILED = "FAILED"  # reconciliation found what it cannot explain: closed until it can


@dataclass(frozen=True)
class Backoff:
    """Exponential delays between reconnect attempts: `first`, doubling, capped at `cap` seconds."""

    first: float = 0.05
    cap: float = 2.0

    def delay(self, attempt: int) -> float:
        return float(min(self.cap, self.first * 2 ** min(attempt, 30)))


class ReconcileError(AlphamoeError):
    """Reconciliation could not explain the broker's state; execute stays closed (the message says why)."""


class BrokerSession:
    """One broker connection and its readiness; `on_connected` reconciles and runs before READY."""

    def __init__(
        self,
        broker: Broker,
        on_connected: Callable[[], str],
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.broker = broker
        self.on_connected = on_connected
        self.backoff = backoff or Backoff()
        self.clock, self.sleep = clock, sleep
        self.state = SessionState.DISCONNECTED
        self.status = "not connected yet"
        self.sessions: list[str] = []
        self.attempts = 0
        self._lock = threading.RLock()

    @property
    def ready(self) -> bool:
        return self.state is SessionState.READY and self.broker.connected

    def health(self) -> tuple[bool, str]:
        if self.state is SessionState.READY and not self.broker.connected:
            return False, f"{self.broker.name}: session {self.broker.session_id} dropped; reconnecting"
        return self.ready, f"{self.broker.name} {self.state}: {self.status}"

    def lost(self, why: str) -> None:
        """Note a dropped session (a failed call, an on_disconnected push): not ready until reconnected."""
        with self._lock:
            if self.state is not SessionState.FAILED:
                self.state = SessionState.DISCONNECTED
            self.status = why
            log.warning("%s session lost: %s", self.broker.name, why)

    def fail(self, why: str) -> None:
        """Close for orders until a reconciliation succeeds: what the broker shows cannot be explained."""
        with self._lock:
            self.state, self.status = SessionState.FAILED, f"failed closed: {why}"
            log.error("%s: %s", self.broker.name, self.status)

    def try_once(self) -> bool:
        """Connect if needed, then reconcile; return whether the session is READY."""
        with self._lock:
            if self.ready:
                return True
            try:
                if not self.broker.connected:
                    self.broker.connect()
                    self.sessions.append(self.broker.session_id)
                self.state = SessionState.RECONCILING
                self.status = self.on_connected()
                self.state = SessionState.READY
                self.attempts = 0
                log.info("%s session %s ready: %s", self.broker.name, self.broker.session_id, self.status)
                return True
            except ReconcileError as exc:
                self.fail(str(exc))
            except BrokerUnavailableError as exc:
                self.state, self.status = SessionState.DISCONNECTED, str(exc)
            self.attempts += 1
            return False

    def ensure_ready(self, timeout: float) -> None:
        """Return when READY; retry with backoff for at most `timeout` s, then raise BrokerUnavailableError."""
        deadline = self.clock() + timeout
        while not self.try_once():
            wait = self.backoff.delay(self.attempts - 1)
            if self.clock() + wait > deadline:
                raise BrokerUnavailableError(
                    f"{self.broker.name} not ready after {timeout:g} s ({self.state}: {self.status}); "
                    "the order waits for redelivery"
                )
            self.sleep(wait)
