"""Batching, rate limits, bounded queues and retries of one channel, on a clock the test moves by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alphamoe.alerts.channels.base import RateLimitedError, RefusedError, UnreachableError
from alphamoe.alerts.config import ChannelSettings
from alphamoe.alerts.lane import Lane
from alphamoe.alerts.model import Alert, AlertKind, Severity
from alphamoe.alerts.throttle import TokenBucket, retry_delay

AT = datetime(2024, 3, 1, 1, 30, tzinfo=UTC)


def alert(n: int = 0, severity: Severity = Severity.INFO, kind: AlertKind = AlertKind.FILL) -> Alert:
    return Alert(kind=kind, severity=severity, at=AT, title=f"alert {n}")


def test_token_bucket_when_twenty_spent_then_next_token_one_minute_after_the_first() -> None:
    bucket = TokenBucket(20)
    for second in range(20):
        assert bucket.take(float(second))
    assert not bucket.take(30.0)
    assert bucket.ready_at(30.0) == 60.0
    assert bucket.take(60.0)
    assert not bucket.take(60.5)


def test_token_bucket_when_any_sliding_minute_then_at_most_rate_sends() -> None:
    bucket, sent = TokenBucket(20), []
    t = 0.0
    while t < 600:
        if bucket.take(t):
            sent.append(t)
        t += 0.25
    assert max(sum(1 for s in sent if start <= s < start + 60) for start in sent) == 20


def test_token_bucket_when_rate_below_one_then_one_token_per_period() -> None:
    bucket = TokenBucket(0.5)
    assert bucket.take(0.0)
    assert bucket.ready_at(1.0) == 120.0


def test_retry_delay_when_service_says_retry_after_then_honoured_over_cap() -> None:
    assert [retry_delay(n, 2.0, 10.0) for n in (1, 2, 3, 4, 5)] == [2.0, 4.0, 8.0, 10.0, 10.0]
    assert retry_delay(1, 2.0, 10.0, retry_after=34.0) == 34.0


def test_lane_when_fills_arrive_within_window_then_one_batch_after_thirty_seconds() -> None:
    lane = Lane(ChannelSettings(batch_seconds=30))
    for n, t in enumerate((0.0, 5.0, 29.0)):
        lane.offer(alert(n), t)
    assert lane.take(29.9) is None
    assert lane.due_at(29.9) == 30.0
    batch = lane.take(30.0)
    assert [a.title for a in batch or []] == ["alert 0", "alert 1", "alert 2"]
    assert lane.take(31.0) is None


def test_lane_when_warning_arrives_then_batch_goes_at_once_with_waiting_fills() -> None:
    lane = Lane(ChannelSettings(batch_seconds=30))
    lane.offer(alert(0), 0.0)
    lane.offer(alert(1, Severity.CRITICAL, AlertKind.TRADING_STATE), 3.0)
    assert [a.title for a in lane.take(3.0) or []] == ["alert 0", "alert 1"]


def test_lane_when_rate_spent_then_next_batch_waits_for_token() -> None:
    lane = Lane(ChannelSettings(rate_per_minute=2, batch_seconds=0))
    sent = []
    for t in range(0, 130, 1):
        lane.offer(alert(t, Severity.WARNING), float(t))
        if batch := lane.take(float(t)):
            sent.append((t, len(batch)))
    # two messages in the first minute, then one each time a token comes back; nothing is lost: alerts pile up
    assert [t for t, _ in sent] == [0, 1, 60, 61, 120, 121]
    assert sum(n for _, n in sent) == 122


def test_lane_when_queue_full_then_oldest_dropped_and_counted() -> None:
    lane = Lane(ChannelSettings(queue_size=3, batch_seconds=60))
    for n in range(5):
        lane.offer(alert(n), float(n))
    assert lane.stats.dropped == 2
    assert [a.title for a in lane.take(100.0) or []] == ["alert 2", "alert 3", "alert 4"]


def test_lane_when_below_min_severity_or_other_kind_then_filtered() -> None:
    lane = Lane(ChannelSettings(min_severity=Severity.WARNING, kinds=(AlertKind.TRADING_STATE,)))
    assert not lane.offer(alert(0, Severity.CRITICAL, AlertKind.FILL), 0.0)
    assert not lane.offer(alert(1, Severity.INFO, AlertKind.TRADING_STATE), 0.0)
    assert lane.offer(alert(2, Severity.WARNING, AlertKind.TRADING_STATE), 0.0)
    assert lane.stats.filtered == 2 and len(lane) == 1


def test_lane_when_rate_limited_then_retried_after_retry_after_then_delivered() -> None:
    lane = Lane(ChannelSettings(batch_seconds=0, backoff_s=2, max_attempts=3))
    lane.offer(alert(0, Severity.WARNING), 0.0)
    batch = lane.take(0.0) or []
    assert lane.failed(batch, RateLimitedError("throttled", retry_after=7.0), 0.5)
    lane.offer(alert(1, Severity.WARNING), 1.0)
    assert lane.take(7.4) is None
    again = lane.take(7.5) or []
    assert [a.title for a in again] == ["alert 0", "alert 1"]  # the retried batch first, merged with the new one
    lane.delivered(again)
    assert (lane.stats.sent, lane.stats.retries, lane.stats.failed) == (2, 1, 0)


def test_lane_when_failures_reach_max_attempts_then_dropped_and_counted() -> None:
    lane = Lane(ChannelSettings(batch_seconds=0, backoff_s=1, max_attempts=3))
    lane.offer(alert(0, Severity.WARNING), 0.0)
    t = 0.0
    outcomes = []
    for _ in range(3):
        batch = None
        while batch is None:
            t += 0.5
            batch = lane.take(t)
        outcomes.append((t, lane.failed(batch, UnreachableError("down"), t)))
    assert [again for _, again in outcomes] == [True, True, False]
    assert [t for t, _ in outcomes] == [0.5, 1.5, 3.5]  # 1 s, then 2 s of backoff
    assert lane.stats.failed == 1 and len(lane) == 0


def test_lane_when_refused_then_not_retried() -> None:
    lane = Lane(ChannelSettings(batch_seconds=0))
    lane.offer(alert(0, Severity.WARNING), 0.0)
    assert not lane.failed(lane.take(0.0) or [], RefusedError("sign not match"), 0.0)
    assert lane.stats.failed == 1 and lane.stats.last_error == "sign not match"


@pytest.mark.parametrize("queued", [50, 120])
def test_lane_when_more_than_max_alerts_queued_then_full_message_goes_at_once(queued: int) -> None:
    lane = Lane(ChannelSettings(batch_seconds=30, max_alerts=50))
    for n in range(queued):
        lane.offer(alert(n), 0.0)
    assert len(lane.take(0.0) or []) == 50
