"""The PingSource receiver over real HTTP on 127.0.0.1: a ping becomes one market.open on Redis Streams.

Pings are signed with the event key; an unsigned one is refused unless the clock is told it runs behind
Knative's OIDC sender identity (`accept_unsigned_pings`), and even then it cannot force a rerun.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

import httpx
import pytest
from support.clock import CFG, FakeTime, make_clock, published, shanghai
from support.keys import EVENT_KEY

from alphamoe.clock.config import ClockSettings
from alphamoe.clock.receiver import ClockReceiver
from alphamoe.clock.schedule import TickKind
from alphamoe.clock.trigger import Clock
from alphamoe.events.payloads import MarketOpen
from alphamoe.kv.server import free_port
from alphamoe.security import hops

pytestmark = pytest.mark.integration


def _ping(
    tick: str, *, key: bytes | None = EVENT_KEY, force: bool = False, sent: datetime | None = None
) -> tuple[dict[str, str], bytes]:
    """A binary-mode CloudEvent whose data is the manifest's `spec.data`, signed with `key` (None: as PingSource)."""
    headers = {
        "ce-specversion": "1.0",
        "ce-type": "dev.knative.sources.ping",
        "ce-source": "/apis/v1/namespaces/alphamoe/pingsources/alphamoe-market-open",
        "ce-id": str(uuid.uuid4()),
        "content-type": "application/json",
    }
    if sent is not None:
        headers["ce-time"] = sent.isoformat()
    body = f'{{"tick": "{tick}", "force": {str(force).lower()}}}'.encode()
    return (headers if key is None else hops.signed(headers, body, key)), body


def _post(url: str, ping: tuple[dict[str, str], bytes]) -> httpx.Response:
    return httpx.post(url, headers=ping[0], content=ping[1], timeout=10)


@pytest.fixture
def reports() -> list[date]:
    return []


@contextmanager
def _serving(redis_url: str, reports: list[date], cfg: ClockSettings) -> Iterator[tuple[str, Clock, FakeTime]]:
    import hypercorn.asyncio
    import hypercorn.config

    at = FakeTime(shanghai(date(2024, 10, 8), time(9, 26, 2)))
    clock, _ = make_clock(redis_url, at, cfg)
    port = free_port()
    config = hypercorn.config.Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()

    async def main() -> None:
        def write_report(day: date) -> str:
            reports.append(day)
            return f"/reports/{day}/end_of_day.html"

        receiver = ClockReceiver(lambda: clock, write_report=write_report)
        await hypercorn.asyncio.serve(receiver, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url + "/health/readiness", timeout=0.5)
            break
        except httpx.TransportError:
            threading.Event().wait(0.02)
    yield url, clock, at
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=10)


@pytest.fixture
def served(redis_url: str, reports: list[date]) -> Iterator[tuple[str, Clock, FakeTime]]:
    with _serving(redis_url, reports, CFG) as serving:
        yield serving


@pytest.fixture
def served_in_cluster(redis_url: str, reports: list[date]) -> Iterator[tuple[str, Clock, FakeTime]]:
    """The receiver behind Knative's OIDC sender identity: unsigned PingSource pings let in."""
    with _serving(redis_url, reports, CFG.model_copy(update={"accept_unsigned_pings": True})) as serving:
        yield serving


def test_ping_when_market_open_twice_then_one_event_and_duplicate_acknowledged(
    served: tuple[str, Clock, FakeTime],
) -> None:
    url, clock, _ = served
    first = _post(url, _ping("market.open"))
    second = _post(url, _ping("market.open"))
    assert first.status_code == 200 and second.status_code == 200  # a duplicate is acknowledged: no retry storm
    assert first.json()["records"][0]["status"] == "claimed"
    assert second.json()["records"][0]["status"] == "duplicate"
    [event] = published(clock.bus, MarketOpen)  # type: ignore[arg-type]
    assert event.source == "/alphamoe/clock/pingsource"


def test_ping_when_catch_up_sweep_after_a_missed_open_then_caught_up(served: tuple[str, Clock, FakeTime]) -> None:
    url, _, at = served
    at.set(date(2024, 10, 8), time(11, 5))
    headers, body = _ping("catch-up")
    answer = httpx.post(url, headers=headers, content=body, timeout=10)
    assert answer.status_code == 200
    [record] = answer.json()["records"]
    assert (record["event"], record["status"], record["caught_up"]) == ("market.open", "claimed", True)


def test_ping_when_structured_mode_then_data_read_from_the_envelope(served: tuple[str, Clock, FakeTime]) -> None:
    url, _, _ = served
    document = {"specversion": "1.0", "type": "dev.knative.sources.ping", "source": "/cron", "id": "1",
                "data": {"tick": "market.open"}}  # fmt: skip
    body = json.dumps(document).encode()
    headers = hops.signed({"content-type": "application/cloudevents+json"}, body, EVENT_KEY)
    answer = httpx.post(url, content=body, headers=headers, timeout=10)
    assert answer.json()["records"][0]["status"] == "claimed"


def test_ping_when_unknown_tick_then_400_names_the_choices(served: tuple[str, Clock, FakeTime]) -> None:
    url, clock, _ = served
    headers, body = _ping("lunch")
    answer = httpx.post(url, headers=headers, content=body, timeout=10)
    assert answer.status_code == 400
    assert "market.open, market.close, data.update, catch-up, report" in answer.json()["error"]
    assert published(clock.bus, MarketOpen) == []  # type: ignore[arg-type]


def test_ping_when_day_outside_calendar_then_422_says_why(served: tuple[str, Clock, FakeTime]) -> None:
    url, _, at = served
    at.set(date(2031, 3, 3), time(9, 26))
    headers, body = _ping("market.open")
    answer = httpx.post(url, headers=headers, content=body, timeout=10)
    assert answer.status_code == 422
    assert "outside the XSHG calendar's coverage" in answer.json()["error"]


def test_ping_when_report_on_a_session_then_written_for_today_and_not_on_a_holiday(
    served: tuple[str, Clock, FakeTime], reports: list[date]
) -> None:
    url, _, at = served
    at.set(date(2024, 10, 8), time(15, 15))
    headers, body = _ping("report")
    answer = httpx.post(url, headers=headers, content=body, timeout=10)
    assert answer.status_code == 200 and answer.json()["report"] == "/reports/2024-10-08/end_of_day.html"
    at.set(date(2024, 10, 7), time(15, 15))  # National Day week
    answer = httpx.post(url, headers=headers, content=body, timeout=10)
    assert answer.status_code == 200 and answer.json()["report"] is None
    assert reports == [date(2024, 10, 8)]


def test_ping_when_unsigned_then_401_and_nothing_claimed(served: tuple[str, Clock, FakeTime]) -> None:
    url, clock, _ = served
    for ping in (_ping("market.open", key=None), _ping("market.open", key=b"another-deployment-event-key-5e7d")):
        answer = _post(url, ping)
        assert answer.status_code == 401 and answer.json()["field"] == "x-alphamoe-signature"
    assert published(clock.bus, MarketOpen) == []  # type: ignore[arg-type]
    assert clock.ledger.claimed(date(2024, 10, 8), TickKind.MARKET_OPEN) is None  # the old receiver claimed it


def test_ping_when_signed_and_forced_then_a_new_run(served: tuple[str, Clock, FakeTime]) -> None:
    url, clock, _ = served
    assert _post(url, _ping("market.open")).json()["records"][0]["status"] == "claimed"
    forced = _ping("market.open", force=True, sent=clock.now())
    assert _post(url, forced).json()["records"][0]["status"] == "claimed"
    assert len(published(clock.bus, MarketOpen)) == 2  # type: ignore[arg-type]


def test_ping_when_a_signed_forced_ping_is_replayed_later_or_undated_then_401(
    served: tuple[str, Clock, FakeTime],
) -> None:
    # a forced tick starts a new run each time: a captured signed ping must not start another one an hour later
    url, clock, _ = served
    for ping in (
        _ping("market.open", force=True, sent=clock.now() - timedelta(hours=1)),
        _ping("market.open", force=True),
    ):
        answer = _post(url, ping)
        assert answer.status_code == 401 and answer.json()["field"] == "ce-time"
    assert published(clock.bus, MarketOpen) == []  # type: ignore[arg-type]


def test_ping_when_unsigned_in_cluster_then_claims_today_once_and_cannot_force(
    served_in_cluster: tuple[str, Clock, FakeTime],
) -> None:
    url, clock, _ = served_in_cluster
    statuses = [_post(url, _ping("market.open", key=None)).json()["records"][0]["status"] for _ in range(3)]
    assert statuses == ["claimed", "duplicate", "duplicate"]
    forced = _post(url, _ping("market.open", key=None, force=True))
    assert forced.status_code == 401 and "signed" in forced.json()["error"]
    assert len(published(clock.bus, MarketOpen)) == 1  # type: ignore[arg-type]


def test_ping_when_body_over_64_kib_then_413_before_reading(served: tuple[str, Clock, FakeTime]) -> None:
    url, clock, _ = served
    headers, _ = _ping("market.open")
    answer = httpx.post(url, headers=headers, content=b"{" + b" " * (1 << 20) + b"}", timeout=10)
    assert answer.status_code == 413
    assert published(clock.bus, MarketOpen) == []  # type: ignore[arg-type]
