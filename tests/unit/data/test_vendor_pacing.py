"""Vendor pacing: the calls-per-minute limiter and the retry policy (exponential backoff, deterministic jitter)."""

from __future__ import annotations

import random

import pytest

from alphamoe.data.feeds.pacing import (
    RateLimiter,
    Retry,
    RetryableError,
    VendorRefusedError,
    VendorUnavailableError,
)


class Clock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def test_limiter_when_quota_used_then_next_call_waits_for_the_oldest_to_leave_the_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    limiter.wait()
    clock.now = 10.0
    limiter.wait()
    clock.now = 20.0
    limiter.wait()  # third call in the minute: waits until t = 60
    assert clock.waits == [40.0]
    limiter.wait()  # the t=10 call leaves the window at t = 70
    assert clock.waits == [40.0, 10.0]


def test_limiter_when_unlimited_then_never_waits() -> None:
    clock = Clock()
    limiter = RateLimiter(0, clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        limiter.wait()
    assert clock.waits == []


def test_retry_when_attempts_fail_then_waits_double_with_seeded_jitter() -> None:
    clock = Clock()
    retry = Retry(attempts=4, backoff_s=1.0, jitter=0.25, rng=random.Random(7), sleep=clock.sleep)
    outcomes = iter([RetryableError("timeout"), RetryableError("HTTP 502"), RetryableError("reset"), "ok"])

    def call() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert retry.call("vendor x", call) == "ok"
    jitter = random.Random(7)
    assert clock.waits == [b * (1 + 0.25 * jitter.random()) for b in (1.0, 2.0, 4.0)]


def test_retry_when_vendor_hints_a_wait_then_waits_at_least_that_long() -> None:
    clock = Clock()
    retry = Retry(attempts=2, backoff_s=1.0, sleep=clock.sleep)
    outcomes = iter([RetryableError("每分钟最多访问该接口", wait_s=60.0), "ok"])

    def call() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert retry.call("tushare daily", call) == "ok" and clock.waits == [60.0]


def test_retry_when_every_attempt_fails_then_clear_error_naming_the_call_and_the_last_reason() -> None:
    clock = Clock()
    retry = Retry(attempts=3, backoff_s=0.5, max_wait_s=0.8, jitter=0.0, sleep=clock.sleep)

    def call() -> str:
        raise RetryableError("HTTP 503 from http://127.0.0.1")

    with pytest.raises(VendorUnavailableError, match=r"tushare daily failed 3 times; last: HTTP 503"):
        retry.call("tushare daily", call)
    assert clock.waits == [0.5, 0.8]  # capped at max_wait_s


def test_retry_when_vendor_refuses_then_not_retried() -> None:
    calls = []

    def call() -> str:
        calls.append(1)
        raise VendorRefusedError("token")

    with pytest.raises(VendorRefusedError):
        Retry(attempts=5, sleep=lambda s: None).call("x", call)
    assert len(calls) == 1
