"""A function served over HTTP with Redis: outputs in their streams before the 2xx, a redelivered event is
answered again without being handled again, readiness follows Redis, metrics and JSON logs carry the ids."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.hops import key_env, signed_post
from support.keys import APPROVAL_SECRET

from alphamoe.bus.redis import RedisBus, stream_of
from alphamoe.events import Envelope, event_type_of
from alphamoe.events import payloads as ev
from alphamoe.kv.server import LocalRedis, free_port
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.run import run_day
from alphamoe.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedis]:
    server = LocalRedis(tmp_path_factory.mktemp("fn-redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def route(
    market_dir: Path, own_redis: LocalRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    port = free_port()
    log = tmp_path_factory.mktemp("fn-logs") / "route.log"
    env = key_env(ALPHAMOE_DATA=str(market_dir), ALPHAMOE_REDIS_URL=own_redis.url)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "alphamoe.cli", "serve", "route", "--port", str(port)], env=env, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{url}/health/readiness", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.1)
    yield {"url": url, "log": log}
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def signals(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Envelope[Any]]:
    day = BarStore(market_dir).sessions()[-1]
    events = run_day(
        Settings(data=market_dir, runs=tmp_path_factory.mktemp("fn-ref"), approval_secret=APPROVAL_SECRET.decode()), day
    ).events
    return [e for e in events if e.type == event_type_of(ev.SignalGenerated)]


def _post(url: str, envelope: Envelope[Any]) -> httpx.Response:
    return signed_post(url, envelope, timeout=60)


def test_function_when_answered_2xx_then_output_already_in_its_stream(
    route: dict[str, Any], signals: list[Envelope[Any]], own_redis: LocalRedis
) -> None:
    response = _post(route["url"], signals[0])
    assert response.status_code == 200
    bus = RedisBus.from_url(own_redis.url)
    [entry] = [
        f for _, f in bus.client.xrange(stream_of(event_type_of(ev.SignalRouted))) if f["causationid"] == signals[0].id
    ]
    assert entry["id"] == response.headers["ce-id"]


def test_function_when_event_redelivered_then_same_answer_and_not_handled_again(
    route: dict[str, Any], signals: list[Envelope[Any]], own_redis: LocalRedis
) -> None:
    first, again = _post(route["url"], signals[1]), _post(route["url"], signals[1])
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.content == again.content and first.headers["ce-id"] == again.headers["ce-id"]
    bus = RedisBus.from_url(own_redis.url)
    routed = [
        f for _, f in bus.client.xrange(stream_of(event_type_of(ev.SignalRouted))) if f["causationid"] == signals[1].id
    ]
    assert len(routed) == 1
    metrics = httpx.get(f"{route['url']}/metrics", timeout=5).text
    assert (
        'alphamoe_events_handled_total{function="route",outcome="duplicate",type="com.alphamoe.signal.generated"} 1.0'
        in metrics
    )
    assert "alphamoe_event_latency_seconds_bucket" in metrics


def test_function_logs_when_handling_then_json_lines_carry_event_run_and_causation_ids(
    route: dict[str, Any], signals: list[Envelope[Any]]
) -> None:
    assert _post(route["url"], signals[2]).status_code == 200
    lines = [json.loads(line) for line in route["log"].read_text().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line["event_id"] == signals[2].id]
    assert {line["msg"].split(":")[0] for line in mine} >= {"handling com.alphamoe.signal.generated", "handled"}
    assert all(line["run_id"] == signals[2].run_id and line["causation_id"] == signals[2].causation_id for line in mine)


def test_readiness_when_redis_stops_then_not_ready_and_back_when_it_returns(
    route: dict[str, Any], own_redis: LocalRedis
) -> None:
    own_redis.stop()
    try:
        response = httpx.get(f"{route['url']}/health/readiness", timeout=30)
        assert response.status_code == 500 and "Redis unreachable" in response.text  # func-python: 500 = not ready
        assert httpx.get(f"{route['url']}/health/liveness", timeout=5).status_code == 200
    finally:
        own_redis.start()
    assert httpx.get(f"{route['url']}/health/readiness", timeout=30).status_code == 200
