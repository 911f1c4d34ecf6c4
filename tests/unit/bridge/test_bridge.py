"""The bridge on real Redis and a real HTTP endpoint on 127.0.0.1: ack after 2xx only, retries, dead letters.

The endpoint is a hand-written stub that answers from a script, so each delivery rule can be shown; it
checks every request's hop signature as a function does.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis.asyncio as aioredis
from support.keys import EVENT_KEY

from alphamoe.bridge.subscriptions import Subscription
from alphamoe.bridge.worker import Bridge
from alphamoe.bus.config import FabricSettings
from alphamoe.bus.progress import progress
from alphamoe.bus.redis import RedisBus, stream_of
from alphamoe.errors import AuthenticationError
from alphamoe.events import build_event, event_type_of
from alphamoe.events.payloads import MarketOpen
from alphamoe.security import hops

OPEN = event_type_of(MarketOpen)
FAST = FabricSettings(max_attempts=3, backoff_s=0.01, backoff_cap_s=0.02, claim_idle_ms=100)


class Stub:
    """Answer each POST with the next scripted status (then 200), recording the CloudEvent ids received and
    whether each request's hop signature verified with the event key."""

    def __init__(self, script: list[int]) -> None:
        self.script, self.received = list(script), []  # type: ignore[var-annotated]
        self.verified: list[bool] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                stub.received.append(self.headers["ce-id"])
                try:
                    hops.verify(dict(self.headers.items()), body, EVENT_KEY)
                    stub.verified.append(True)
                except AuthenticationError:
                    stub.verified.append(False)
                status = stub.script.pop(0) if stub.script else 200
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"no")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def stub() -> Stub:
    return Stub([])


def _serve(stub: Stub) -> threading.Thread:
    thread = threading.Thread(target=stub.server.serve_forever, daemon=True)
    thread.start()
    return thread


async def _run(redis_url: str, stub: Stub, *, seconds: float, consumer: str = "b1", expect: int = 0) -> Bridge:
    # Run for `seconds`, or until `expect` deliveries have been received and settled (a loaded machine is slow).
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    bridge = Bridge(client, [Subscription("scan", stub.url, (OPEN,))], FAST, consumer=consumer, key=EVENT_KEY)
    stop = asyncio.Event()
    running = asyncio.create_task(bridge.run(stop))
    deadline = asyncio.get_running_loop().time() + (30 if expect else seconds)
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        if expect and bridge.stats.delivered + bridge.stats.dead_lettered >= expect:
            break
    stop.set()
    await running
    await client.aclose()
    return bridge


def _publish(redis_url: str, n: int) -> list[str]:
    bus = RedisBus.from_url(redis_url)
    bus.ensure_groups([(stream_of(OPEN), "scan")])
    events = [build_event(MarketOpen(trading_day=date(2025, 3, 31)), run_id=f"r{i}", source="/t") for i in range(n)]
    bus.publish_all(events)
    return [e.id for e in events]


def _settled(redis_url: str) -> tuple[int, int]:
    [row] = progress(RedisBus.from_url(redis_url).client)
    return row.lag, row.pending


def test_bridge_when_function_answers_2xx_then_delivers_each_once_and_acks(redis_url: str, stub: Stub) -> None:
    ids = _publish(redis_url, 20)
    _serve(stub)
    bridge = asyncio.run(_run(redis_url, stub, seconds=1.0, expect=20))
    stub.server.shutdown()
    assert sorted(stub.received) == sorted(ids) and bridge.stats.delivered == 20
    assert stub.verified == [True] * 20  # every hop signed with the event key
    assert _settled(redis_url) == (0, 0)


def test_bridge_when_5xx_then_retries_until_2xx(redis_url: str) -> None:
    stub = Stub([503, 500])
    [event_id] = _publish(redis_url, 1)
    _serve(stub)
    bridge = asyncio.run(_run(redis_url, stub, seconds=1.0, expect=1))
    stub.server.shutdown()
    assert stub.received == [event_id] * 3 and bridge.stats.retried == 2
    assert _settled(redis_url) == (0, 0) and RedisBus.from_url(redis_url).dead_letters() == []


def test_bridge_when_always_failing_then_dead_letters_after_max_attempts(redis_url: str) -> None:
    stub = Stub([500] * 10)
    [event_id] = _publish(redis_url, 1)
    _serve(stub)
    asyncio.run(_run(redis_url, stub, seconds=1.0, expect=1))
    stub.server.shutdown()
    assert stub.received == [event_id] * FAST.max_attempts
    [letter] = RedisBus.from_url(redis_url).dead_letters()
    assert "answered 500" in letter.reason and letter.raw["fields"]["id"] == event_id
    assert _settled(redis_url) == (0, 0)


def test_bridge_when_400_then_dead_letters_at_once_without_retry(redis_url: str) -> None:
    stub = Stub([400])
    _publish(redis_url, 1)
    _serve(stub)
    asyncio.run(_run(redis_url, stub, seconds=0.8, expect=1))
    stub.server.shutdown()
    assert len(stub.received) == 1
    assert "answered 400" in RedisBus.from_url(redis_url).dead_letters()[0].reason


def test_bridge_when_401_then_dead_letters_at_once_without_retry(redis_url: str) -> None:
    stub = Stub([401])  # a function holding another key: retrying cannot change the signature
    _publish(redis_url, 1)
    _serve(stub)
    asyncio.run(_run(redis_url, stub, seconds=0.8, expect=1))
    stub.server.shutdown()
    assert len(stub.received) == 1
    assert "answered 401" in RedisBus.from_url(redis_url).dead_letters()[0].reason


def test_bridge_when_function_down_then_entry_stays_pending_not_acked(redis_url: str, stub: Stub) -> None:
    _publish(redis_url, 1)
    stub.server.server_close()  # nobody listens on the port
    asyncio.run(_run(redis_url, stub, seconds=0.5))
    assert _settled(redis_url) == (0, 1)
    assert RedisBus.from_url(redis_url).dead_letters() == []


def test_bridge_when_restarted_then_rereads_its_own_pending_first(redis_url: str) -> None:
    [event_id] = _publish(redis_url, 1)
    client = RedisBus.from_url(redis_url).client
    client.xreadgroup("scan", "b1", {stream_of(OPEN): ">"})  # a crashed run of b1 read it, never acked
    stub = Stub([])
    _serve(stub)
    asyncio.run(_run(redis_url, stub, seconds=0.5, consumer="b1", expect=1))
    stub.server.shutdown()
    assert stub.received == [event_id] and _settled(redis_url) == (0, 0)


def test_bridge_when_other_replica_died_then_autoclaims_its_idle_entries(redis_url: str) -> None:
    [event_id] = _publish(redis_url, 1)
    RedisBus.from_url(redis_url).client.xreadgroup("scan", "dead-replica", {stream_of(OPEN): ">"})
    stub = Stub([])
    _serve(stub)
    asyncio.run(_run(redis_url, stub, seconds=1.0, consumer="b2", expect=1))
    stub.server.shutdown()
    assert stub.received == [event_id] and _settled(redis_url) == (0, 0)


async def _run_for(redis_url: str, sub: Subscription, expect: int, settings: FabricSettings = FAST) -> Bridge:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    bridge = Bridge(client, [sub], settings, consumer="b1", key=EVENT_KEY)
    stop = asyncio.Event()
    running = asyncio.create_task(bridge.run(stop))
    deadline = asyncio.get_running_loop().time() + 30
    while bridge.stats.delivered < expect and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    stop.set()
    await running
    await client.aclose()
    return bridge


def test_bridge_when_ordered_function_then_one_in_flight_in_stream_order(redis_url: str, stub: Stub) -> None:
    ids = _publish(redis_url, 30)
    _serve(stub)
    bridge = asyncio.run(_run_for(redis_url, Subscription("execute", stub.url, (OPEN,)), 30))
    stub.server.shutdown()
    assert stub.received == ids and bridge.stats.delivered == 30
    [row] = [r for r in progress(RedisBus.from_url(redis_url).client) if r.group == "execute"]
    assert (row.lag, row.pending) == (0, 0)


def test_bridge_when_many_in_flight_then_each_delivered_once_and_all_acked_in_batches(redis_url: str) -> None:
    ids = _publish(redis_url, 300)
    stub = Stub([])
    _serve(stub)
    wide = FAST.model_copy(update={"concurrency": 32})
    bridge = asyncio.run(_run_for(redis_url, Subscription("scan", stub.url, (OPEN,)), 300, wide))
    stub.server.shutdown()
    assert sorted(stub.received) == sorted(ids) and bridge.stats.delivered == 300
    assert _settled(redis_url) == (0, 0)
