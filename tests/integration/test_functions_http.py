"""Each function served by func-python on 127.0.0.1 answers real HTTP CloudEvents like the in-process run.

The in-process run of a day gives every stage's real input and output events; posting those inputs over
HTTP to the five servers must give the same outputs (same ids: ids are deterministic), and bad input must
get a 4xx that names the field.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from alphamoe.events import Envelope, event_type_of, from_http, to_http
from alphamoe.events import payloads as ev
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.run import DayRun, run_day
from alphamoe.settings import Settings

pytestmark = pytest.mark.integration
SECRET = "integration-test-approval-secret"
FUNCTIONS = ("scan", "route", "size", "risk", "execute")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def servers(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    runs = tmp_path_factory.mktemp("http-runs")
    env = {
        **os.environ,
        "ALPHAMOE_DATA": str(market_dir),
        "ALPHAMOE_RUNS": str(runs),
        "ALPHAMOE_APPROVAL_SECRET": SECRET,
    }
    procs: dict[str, subprocess.Popen[bytes]] = {}
    urls: dict[str, str] = {}
    for name in FUNCTIONS:
        port = _free_port()
        procs[name] = subprocess.Popen(
            # The lean entry point (no CLI import); the local cluster's test covers `alphamoe serve`.
            [sys.executable, "-m", "alphamoe.functions.serve", name, "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        urls[name] = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        for name, url in urls.items():
            while True:
                if procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited: {procs[name].stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
                try:
                    if httpx.get(f"{url}/health/readiness", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready in 90 s")
                time.sleep(0.2)
        yield urls
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            p.wait(timeout=20)


@pytest.fixture(scope="module")
def day_run(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> DayRun:
    """The reference: the same day in process, with the same approval secret."""
    settings = Settings(data=market_dir, runs=tmp_path_factory.mktemp("inproc-runs"), approval_secret=SECRET)
    for day in reversed(BarStore(market_dir).sessions()[-5:]):
        result = run_day(settings, day)
        if any(e.type == event_type_of(ev.OrderApproved) for e in result.events):
            return result
    raise AssertionError("no approved order in the last five days of the test market")


def _of(run: DayRun, model: type[ev.Payload]) -> list[Envelope[Any]]:
    return [e for e in run.events if e.type == event_type_of(model)]


def _post(url: str, envelope: Envelope[Any]) -> httpx.Response:
    headers, body = to_http(envelope)
    return httpx.post(url, headers=headers, content=body, timeout=120)


def _answer(response: httpx.Response) -> Envelope[Any]:
    assert response.status_code == 200, response.text
    return from_http(dict(response.headers), response.content)


def test_scan_when_market_opens_then_answers_scan_completed_like_in_process(
    servers: dict[str, str], day_run: DayRun
) -> None:
    response = _post(servers["scan"], _of(day_run, ev.MarketOpen)[0])
    answer = _answer(response)
    expected = _of(day_run, ev.ScanCompleted)[0]
    assert answer.payload == expected.payload and answer.id == expected.id
    assert int(response.headers["x-alphamoe-outputs"]) == expected.payload.candidates + 1


def test_route_when_signal_posted_then_same_verdict_and_reasons(servers: dict[str, str], day_run: DayRun) -> None:
    for signal, routed in list(zip(_of(day_run, ev.SignalGenerated), _of(day_run, ev.SignalRouted), strict=True))[:5]:
        answer = _answer(_post(servers["route"], signal))
        assert answer.payload == routed.payload
        assert answer.causation_id == signal.id


def test_size_when_batch_complete_then_proposes_the_same_orders(servers: dict[str, str], day_run: DayRun) -> None:
    completed = _of(day_run, ev.ScanCompleted)[0]
    routed = _of(day_run, ev.SignalRouted)
    assert _post(servers["size"], completed).status_code == 202  # the barrier waits for the routed signals
    responses = [_post(servers["size"], r) for r in reversed(routed)]  # arrival order does not matter
    assert all(r.status_code == 202 for r in responses[:-1])
    last = _answer(responses[-1])
    proposed = _of(day_run, ev.OrderProposed)
    assert last.payload in [p.payload for p in proposed]
    assert int(responses[-1].headers["x-alphamoe-outputs"]) == len(proposed)


def test_risk_when_batch_posted_then_same_decisions(servers: dict[str, str], day_run: DayRun) -> None:
    proposed = _of(day_run, ev.OrderProposed)
    responses = [_post(servers["risk"], p) for p in proposed]
    last = _answer(responses[-1])
    decisions = [
        e.payload
        for e in day_run.events
        if e.type in (event_type_of(ev.OrderApproved), event_type_of(ev.OrderRejected))
    ]
    assert last.payload in decisions


def test_execute_when_signed_order_posted_then_submits_and_fills_like_in_process(
    servers: dict[str, str], day_run: DayRun
) -> None:
    approved = _of(day_run, ev.OrderApproved)[0]
    answer = _answer(_post(servers["execute"], approved))
    caused = [e.payload for e in day_run.events if e.causation_id == approved.id]
    assert answer.payload in caused


def test_execute_when_order_altered_after_approval_then_403_and_not_sent(
    servers: dict[str, str], day_run: DayRun
) -> None:
    approved = _of(day_run, ev.OrderApproved)[-1]
    order = approved.payload.order
    tampered = ev.OrderApproved(
        trading_day=approved.payload.trading_day,
        order=ev.OrderProposed(**{**order.model_dump(), "quantity": order.quantity * 10}),
        checks=approved.payload.checks,
        signature=approved.payload.signature,
    )
    envelope = dataclasses.replace(approved, id="tampered-1", payload=tampered)
    response = _post(servers["execute"], envelope)
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_when_attribute_missing_then_400_names_it(servers: dict[str, str], day_run: DayRun, name: str) -> None:
    headers, body = to_http(_of(day_run, ev.MarketOpen)[0])
    del headers["ce-runid"]
    response = httpx.post(servers[name], headers=headers, content=body, timeout=30)
    assert response.status_code == 400
    assert response.json()["field"] == "runid"


def test_function_when_payload_invalid_then_400_names_the_field(servers: dict[str, str], day_run: DayRun) -> None:
    headers, body = to_http(_of(day_run, ev.OrderProposed)[0])
    response = httpx.post(
        servers["risk"], headers=headers, content=body.replace(b'"side": "', b'"side": "X'), timeout=30
    )
    assert response.status_code == 400
    assert response.json()["field"] == "data.side"


def test_function_when_event_type_not_its_own_then_400(servers: dict[str, str], day_run: DayRun) -> None:
    response = _post(servers["route"], _of(day_run, ev.MarketOpen)[0])
    assert response.status_code == 400
    assert response.json()["field"] == "type"


def test_function_when_not_a_cloudevent_then_400(servers: dict[str, str]) -> None:
    response = httpx.post(servers["scan"], json={"hello": "world"}, timeout=30)
    assert response.status_code == 400


@pytest.mark.parametrize("name", FUNCTIONS)
def test_health_when_started_then_live_and_ready(servers: dict[str, str], name: str) -> None:
    assert httpx.get(f"{servers[name]}/health/liveness", timeout=5).status_code == 200
    assert httpx.get(f"{servers[name]}/health/readiness", timeout=5).status_code == 200
