"""The PingSource receiver over real HTTP on 127.0.0.1: a ping becomes one market.open on Redis Streams."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from datetime import date, time

import httpx
import pytest
from clock_helpers import FakeTime, make_clock, published, shanghai

from alphamoe.clock.receiver import ClockReceiver
from alphamoe.clock.trigger import Clock
from alphamoe.events.payloads import MarketOpen
from alphamoe.kv.server import free_port

pytestmark = pytest.mark.integration


def _ping(tick: str) -> tuple[dict[str, str], bytes]:
    """What PingSource sends: a binary-mode CloudEvent whose data is the manifest's `spec.data`."""
    headers = {
        "ce-specversion": "1.0",
        "ce-type": "dev.knative.sources.ping",
        "ce-source": "/apis/v1/namespaces/alphamoe/pingsources/alphamoe-market-open",
        "ce-id": str(uuid.uuid4()),
        "content-type": "application/json",
    }
    return headers, f'{{"tick": "{tick}"}}'.encode()


@pytest.fixture
def reports() -> list[date]:
    return []


@pytest.fixture
def served(redis_url: str, reports: list[date]) -> Iterator[tuple[str, Clock, FakeTime]]:
    import hypercorn.asyncio
    import hypercorn.config

    at = FakeTime(shanghai(date(2024, 10, 8), time(9, 26, 2)))
    clock, _ = make_clock(redis_url, at)
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


def test_ping_when_market_open_twice_then_one_event_and_duplicate_acknowledged(
    served: tuple[str, Clock, FakeTime],
) -> None:
    url, clock, _ = served
    first = httpx.post(url, headers=_ping("market.open")[0], content=_ping("market.open")[1], timeout=10)
    second = httpx.post(url, headers=_ping("market.open")[0], content=_ping("market.open")[1], timeout=10)
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
    answer = httpx.post(url, json=document, headers={"content-type": "application/cloudevents+json"}, timeout=10)
    assert answer.json()["records"][0]["status"] == "claimed"


def test_ping_when_unknown_tick_then_400_names_the_choices(served: tuple[str, Clock, FakeTime]) -> None:
    url, clock, _ = served
    headers, body = _ping("lunch")
    answer = httpx.post(url, headers=headers, content=body, timeout=10)
    assert answer.status_code == 400
    assert "market.open, market.close, catch-up, report" in answer.json()["error"]
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
