"""Vendor pacing: a calls-per-minute limiter and retries with exponential backoff and jitter.

Vendors ban a client that calls too fast (tushare: "抱歉，您每分钟最多访问该接口N次"; eastmoney drops the
connection), so every call waits for its slot, and a rate-limit answer is waited out rather than failed.
The clock, the sleep and the jitter's random source are passed in, so tests run the same every time.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from alphamoe.errors import AlphamoeError

T = TypeVar("T")
Sleep = Callable[[float], None]
Clock = Callable[[], float]
WINDOW_S = 60.0


class VendorUnavailableError(AlphamoeError):
    """The vendor failed every attempt (network, 5xx, rate limit): transient, retry the update later."""


class VendorRefusedError(AlphamoeError):
    """The vendor refused the call for a reason retrying cannot fix (token, points, permission, bad params)."""


class RetryableError(AlphamoeError):
    """One attempt failed for a reason that may pass (timeout, 5xx, rate limit); `wait_s` is the vendor's hint."""

    def __init__(self, message: str, *, wait_s: float | None = None) -> None:
        super().__init__(message)
        self.wait_s = wait_s


@dataclass
class RateLimiter:
    """Allow at most `calls_per_minute` calls in any 60-second window (0 = unlimited)."""

    calls_per_minute: int
    clock: Clock = time.monotonic
    sleep: Sleep = time.sleep
    _calls: deque[float] = field(default_factory=deque)

    def wait(self) -> None:
        """Block until a call is allowed, then count it."""
        if self.calls_per_minute <= 0:
            return
        now = self.clock()
        while self._calls and now - self._calls[0] >= WINDOW_S:
            self._calls.popleft()
        if len(self._calls) >= self.calls_per_minute:
            self.sleep(WINDOW_S - (now - self._calls[0]))
            now = self.clock()
            self._calls.popleft()
        self._calls.append(now)


@dataclass
class Retry:
    """Up to `attempts` tries; the n-th wait is backoff_s · 2ⁿ⁻¹ · (1 + jitter·U[0,1)), capped at max_wait_s."""

    attempts: int = 5
    backoff_s: float = 1.0
    max_wait_s: float = 60.0
    jitter: float = 0.25
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    sleep: Sleep = time.sleep

    def delay(self, attempt: int, hint: float | None = None) -> float:
        base = self.backoff_s * 2 ** (attempt - 1) * (1 + self.jitter * self.rng.random())
        return float(min(self.max_wait_s, max(base, hint or 0.0)))

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Return fn(); a RetryableError is retried after a backoff, the last one raises VendorUnavailableError."""
        last: RetryableError | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except RetryableError as exc:
                last = exc
                if attempt < self.attempts:
                    self.sleep(self.delay(attempt, exc.wait_s))
        raise VendorUnavailableError(f"{what} failed {self.attempts} times; last: {last}") from last
