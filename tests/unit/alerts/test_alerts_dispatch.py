"""The dispatcher's threads: a hung or throttled service never holds up `submit`; 429s are waited out."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import SecretStr
from support.chat_standins import TelegramStandIn

from alphamoe.alerts.channels.base import UnreachableError
from alphamoe.alerts.channels.telegram import TelegramChannel
from alphamoe.alerts.config import ChannelName, ChannelSettings, TelegramSettings
from alphamoe.alerts.dispatch import Dispatcher
from alphamoe.alerts.model import Alert, AlertKind, Severity

AT = datetime(2024, 3, 1, 1, 30, tzinfo=UTC)


def alert(n: int, severity: Severity = Severity.WARNING) -> Alert:
    return Alert(kind=AlertKind.REJECTION, severity=severity, at=AT, title=f"alert {n}")


class HungChannel:
    """A channel whose send blocks until released (a service that never answers)."""

    name = ChannelName.WECOM

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def send(self, alerts: Sequence[Alert]) -> None:
        self.calls += 1
        self.release.wait(10)
        raise UnreachableError("no answer")

    def close(self) -> None:
        self.release.set()


def wait_until(condition: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_submit_when_channel_hangs_then_returns_at_once_and_queue_stays_bounded() -> None:
    hung = HungChannel()
    dispatcher = Dispatcher([(hung, ChannelSettings(batch_seconds=0, queue_size=100))]).start()
    try:
        dispatcher.submit(alert(0))
        wait_until(lambda: hung.calls == 1)
        started = time.perf_counter()
        for n in range(1, 5001):
            dispatcher.submit(alert(n))
        elapsed = time.perf_counter() - started
        assert elapsed < 1.0, f"5,000 submits took {elapsed:.3f} s while the channel hung"
        stats = dispatcher.stats()["wecom"]
        assert stats.dropped == 5000 - 100
    finally:
        hung.release.set()
        dispatcher.stop(drain_s=0.1)


def test_dispatcher_when_telegram_answers_429_then_waits_retry_after_and_delivers() -> None:
    standin = TelegramStandIn("123:ABC", "-1001", retry_after=1).start()
    standin.throttle_next(1)
    settings = TelegramSettings(
        base_url=standin.url, token=SecretStr("123:ABC"), chat_id="-1001", batch_seconds=0, backoff_s=0.05
    )
    dispatcher = Dispatcher([(TelegramChannel(settings), settings)]).start()
    try:
        started = time.monotonic()
        dispatcher.submit(alert(1, Severity.CRITICAL))
        wait_until(lambda: len(standin.received) == 1)
        waited = time.monotonic() - started
        assert waited >= 1.0, "retried before the service's retry_after"
        assert standin.requests == 2
        stats = dispatcher.stats()["telegram"]
        assert (stats.sent, stats.retries, stats.failed) == (1, 1, 0)
    finally:
        dispatcher.stop(drain_s=0.1)
        standin.stop()


def test_stop_when_info_alerts_wait_for_window_then_drained() -> None:
    standin = TelegramStandIn("123:ABC", "-1001").start()
    settings = TelegramSettings(base_url=standin.url, token=SecretStr("123:ABC"), chat_id="-1001", batch_seconds=600)
    dispatcher = Dispatcher([(TelegramChannel(settings), settings)]).start()
    try:
        for n in range(3):
            dispatcher.submit(alert(n, Severity.INFO))
        time.sleep(0.2)
        assert standin.received == []  # still inside its 10-minute batch window
        dispatcher.stop(drain_s=3.0)
        [body] = standin.received
        assert "alert 0" in body["text"] and "alert 2" in body["text"]
    finally:
        standin.stop()
