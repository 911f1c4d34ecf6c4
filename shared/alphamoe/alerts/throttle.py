"""Rate limits and retry delays, on a clock passed in (tests drive it by hand)."""

from __future__ import annotations

from collections import deque


class TokenBucket:
    """`rate_per_minute` tokens, each coming back one window (60 s) after it was spent.

    The services count messages per sliding minute (WeCom and DingTalk: 20, Feishu: 100), so a token
    refilled continuously would let a burst plus the refill exceed their count; a token that returns
    exactly a minute after its send never does. A fractional rate (e.g. 0.5) gives one token per 2 minutes.
    """

    def __init__(self, rate_per_minute: float, *, window_s: float = 60.0) -> None:
        if rate_per_minute <= 0:
            raise ValueError(f"rate_per_minute must be positive, was {rate_per_minute}")
        self.capacity = max(1, int(rate_per_minute))
        self.window_s = window_s * self.capacity / rate_per_minute if rate_per_minute < 1 else window_s
        self._spent: deque[float] = deque()

    def ready_at(self, now: float) -> float:
        """Return when the next token is available (`now` if one is)."""
        while self._spent and self._spent[0] + self.window_s <= now:
            self._spent.popleft()
        if len(self._spent) < self.capacity:
            return now
        return self._spent[0] + self.window_s

    def take(self, now: float) -> bool:
        """Spend a token if one is available."""
        if self.ready_at(now) > now:
            return False
        self._spent.append(now)
        return True


def retry_delay(attempt: int, base_s: float, cap_s: float, retry_after: float | None = None) -> float:
    """Return the wait before retry `attempt` (1 = first retry): the service's retry-after, else base·2ⁿ⁻¹ capped."""
    if retry_after is not None and retry_after >= 0:
        return retry_after
    return float(min(cap_s, base_s * 2 ** (attempt - 1)))
