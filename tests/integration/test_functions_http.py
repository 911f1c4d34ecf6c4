"""Each function served by func-python on 127.0.0.1 answers real HTTP CloudEvents like the in-process run.

The in-process run of a day gives every stage's real input and output events; posting those inputs over
HTTP to the five servers must give the same outputs (same ids: ids are deterministic), and bad input must
get a 4xx that names the field. Every POST is signed with the event key, as the bridge signs it; an unsigned
one is refused (401) before anything in it is decoded.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from support.hops import key_env, signed_post, unsigned_post
from support.keys import APPROVAL_SECRET, EVENT_KEY

from alphamoe.events import Envelope, build_event, event_type_of, from_http, to_http
from alphamoe.events import payloads as ev
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.run import DayRun, run_day
from alphamoe.security import runs
from alphamoe.settings import Settings

pytestmark = pytest.mark.integration
FUNCTIONS = ("scan", "route", "size", "risk", "execute")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The servers' runs folder: execute writes its account snapshots under `accounts/`."""
    return tmp_path_factory.mktemp("http-runs")


@pytest.fixture(scope="module")
def servers(market_dir: Path, server_runs: Path) -> Iterator[dict[str, str]]:
    env = key_env(ALPHAMOE_DATA=str(market_dir), ALPHAMOE_RUNS=str(server_runs))
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
    """The reference: the same day in process, with the same keys (its run token verifies on the servers)."""
    settings = Settings(
        data=market_dir,
        runs=tmp_path_factory.mktemp("inproc-runs"),
        approval_secret=APPROVAL_SECRET.decode(),
        event_key=EVENT_KEY.decode(),
    )
    for day in reversed(BarStore(market_dir).sessions()[-5:]):
        result = run_day(settings, day)
        if any(e.type == event_type_of(ev.OrderApproved) for e in result.events):
            return result
    raise AssertionError("no approved order in the last five days of the test market")


def _of(run: DayRun, model: type[ev.Payload]) -> list[Envelope[Any]]:
    return [e for e in run.events if e.type == event_type_of(model)]


def _post(url: str, envelope: Envelope[Any]) -> httpx.Response:
    return signed_post(url, envelope, timeout=120)


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
    assert last.payload == _of(day_run, ev.SizingCompleted)[0].payload  # the batch's summary comes last
    assert int(responses[-1].headers["x-alphamoe-outputs"]) == len(proposed) + 1


def test_risk_when_batch_posted_then_same_decisions(servers: dict[str, str], day_run: DayRun) -> None:
    proposed = _of(day_run, ev.OrderProposed)
    responses = [_post(servers["risk"], p) for p in proposed]
    last = _answer(responses[-1])
    decisions = [
        (e.type, e.payload.order)  # the approval's expiry is the time it was signed: compare the decided order
        for e in day_run.events
        if e.type in (event_type_of(ev.OrderApproved), event_type_of(ev.OrderRejected))
    ]
    assert (last.type, last.payload.order) in decisions


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
        **{
            **approved.payload.model_dump(),
            "order": ev.OrderProposed(**{**order.model_dump(), "quantity": order.quantity * 10}),
        }
    )
    envelope = dataclasses.replace(approved, id="tampered-1", payload=tampered)
    response = _post(servers["execute"], envelope)
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_when_attribute_missing_then_400_names_it(servers: dict[str, str], day_run: DayRun, name: str) -> None:
    headers, body = to_http(_of(day_run, ev.MarketOpen)[0])
    del headers["ce-runid"]
    response = signed_post(servers[name], (headers, body), timeout=30)
    assert response.status_code == 400
    assert response.json()["field"] == "runid"


def test_function_when_payload_invalid_then_400_names_the_field(servers: dict[str, str], day_run: DayRun) -> None:
    headers, body = to_http(_of(day_run, ev.OrderProposed)[0])
    response = signed_post(servers["risk"], (headers, body.replace(b'"side": "', b'"side": "X')), timeout=30)
    assert response.status_code == 400
    assert response.json()["field"] == "data.side"


def test_function_when_event_type_not_its_own_then_400(servers: dict[str, str], day_run: DayRun) -> None:
    response = _post(servers["route"], _of(day_run, ev.MarketOpen)[0])
    assert response.status_code == 400
    assert response.json()["field"] == "type"


def test_function_when_not_a_cloudevent_then_400(servers: dict[str, str]) -> None:
    response = signed_post(servers["scan"], ({"content-type": "application/json"}, b'{"hello": "world"}'), timeout=30)
    assert response.status_code == 400


@pytest.mark.parametrize("name", FUNCTIONS)
def test_health_when_started_then_live_and_ready(servers: dict[str, str], name: str) -> None:
    assert httpx.get(f"{servers[name]}/health/liveness", timeout=5).status_code == 200
    assert httpx.get(f"{servers[name]}/health/readiness", timeout=5).status_code == 200


# ---- the trust boundary: who may post, and what a body may be ----------------------------------------------

ANOTHER_KEY = b"another-deployment-event-key-9f3a61c2"


def _failures(url: str, function: str, status: int) -> float:
    """Return the function's alphamoe_event_failures_total for `status` (0 before the first one)."""
    prefix = f'alphamoe_event_failures_total{{function="{function}",status="{status}"}} '
    lines = httpx.get(f"{url}/metrics", timeout=5).text.splitlines()
    return next((float(line.removeprefix(prefix)) for line in lines if line.startswith(prefix)), 0.0)


def _forged_run(events: list[Envelope[Any]], run_id: str) -> list[Envelope[Any]]:
    """The same payloads under a run id no issuer started (no run token): what an outsider can make."""
    return [build_event(e.payload, run_id=run_id, source=e.source) for e in events]


def test_risk_when_unsigned_proposals_posted_then_401_and_nothing_approved(
    servers: dict[str, str], day_run: DayRun
) -> None:
    forged = _forged_run(_of(day_run, ev.OrderProposed), "outsider-run-1")
    before = _failures(servers["risk"], "risk", 401)
    responses = [unsigned_post(servers["risk"], p) for p in forged]
    assert [r.status_code for r in responses] == [401] * len(forged)  # the old guard approved the whole batch
    assert {r.json()["field"] for r in responses} == {"x-alphamoe-signature"}
    assert not any(r.headers.get("ce-type") == event_type_of(ev.OrderApproved) for r in responses)
    assert _failures(servers["risk"], "risk", 401) == before + len(forged)


def test_risk_when_signed_with_another_deployments_key_then_401(servers: dict[str, str], day_run: DayRun) -> None:
    response = signed_post(servers["risk"], _of(day_run, ev.OrderProposed)[0], key=ANOTHER_KEY, timeout=30)
    assert response.status_code == 401 and "does not match" in response.json()["error"]


def test_execute_when_100_forged_closes_posted_then_401_and_no_snapshot_written(
    servers: dict[str, str], server_runs: Path
) -> None:
    first = date(2031, 1, 1)
    closes = [
        build_event(
            ev.MarketClose(trading_day=first + timedelta(days=i), account_id="paper"), run_id=f"x-{i}", source="/x"
        )
        for i in range(100)
    ]
    statuses = {unsigned_post(servers["execute"], close, timeout=30).status_code for close in closes}
    assert statuses == {401}
    # signed by the bridge but no issuer's run token (junk written into Redis), or a token of another key
    untokened = signed_post(servers["execute"], closes[0], timeout=30)
    assert untokened.status_code == 401 and untokened.json()["field"] == "runtoken"
    other = runs.issue(ANOTHER_KEY, "x-1", closes[1].trading_day, runs.RunMode.SESSION)
    foreign = signed_post(servers["execute"], dataclasses.replace(closes[1], run_token=other), timeout=30)
    assert foreign.status_code == 401 and foreign.json()["field"] == "runtoken"
    written = {path.stem for path in (server_runs / "accounts").rglob("*.json")}
    assert not written & {c.trading_day.isoformat() for c in closes}


def _proposal_message(day_run: DayRun) -> tuple[dict[str, str], bytes]:
    return to_http(_of(day_run, ev.OrderProposed)[0])


def _with_field(body: bytes, name: str, literal: str) -> bytes:
    document = json.loads(body)
    document[name] = "@@"
    return json.dumps(document).encode().replace(b'"@@"', literal.encode())


STRUCTURED = {"content-type": "application/cloudevents+json"}
MALFORMED: dict[str, tuple[str, str]] = {
    # case: (what is sent, the field the 400 names)
    "structured body [1]": ("structured:[1]", "event"),
    "structured body nested 100,000 deep": ("structured:" + "[" * 100_000, "data"),
    "binary body nested 100,000 deep": ("binary:" + "[" * 100_000, "data"),
    "payload not an object": ("binary:[1]", "data"),
    "quantity 1e30": ("field:quantity=1e30", "data.quantity"),
    "limit price NaN": ("field:limit_price=NaN", "data.limit_price"),
    "limit price Infinity": ("field:limit_price=Infinity", "data.limit_price"),
    "target weight NaN": ("field:target_weight=NaN", "data.target_weight"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_function_when_signed_body_malformed_then_400_names_the_field(
    servers: dict[str, str], day_run: DayRun, case: str
) -> None:
    sent, field = MALFORMED[case]
    headers, body = _proposal_message(day_run)
    kind, _, rest = sent.partition(":")
    if kind == "structured":
        headers, body = STRUCTURED, rest.encode()
    elif kind == "binary":
        body = rest.encode()
    else:
        name, _, literal = rest.partition("=")
        body = _with_field(body, name, literal)
    response = signed_post(servers["risk"], (headers, body), timeout=30)
    assert response.status_code == 400, response.text  # the old guard answered 500 to the first three
    assert response.json()["field"] == field


def test_function_when_input_echoed_then_at_most_200_characters_of_it(servers: dict[str, str], day_run: DayRun) -> None:
    headers, body = _proposal_message(day_run)
    response = signed_post(servers["risk"], ({**headers, "ce-type": "x" * 100_000}, body), timeout=30)
    assert response.status_code == 400 and response.json()["field"] == "type"
    error = response.json()["error"]
    assert "x" * 200 in error and "x" * 201 not in error and len(error) < 1_000


def _raw(url: str, head: str, body: bytes = b"", timeout: float = 10) -> str:
    """Send a hand-written request and return the answer's status line and body (never waits past `timeout`)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < 2:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    status, _, rest = answer.decode("latin-1").partition("\r\n")
    return status + " " + rest.partition("\r\n\r\n")[2]


def _request(path_host: str, *lines: str) -> str:
    return f"POST / HTTP/1.1\nhost: {path_host}\n" + "".join(f"{line}\n" for line in lines)


def test_function_when_body_declared_over_the_limit_then_413_before_reading_it(servers: dict[str, str]) -> None:
    url = servers["risk"]
    started = time.monotonic()
    answer = _raw(url, _request("risk", "content-type: application/json", f"content-length: {2 << 20}"))
    assert answer.startswith("HTTP/1.1 413") and "1048576" in answer  # no byte of the 2 MiB was sent
    assert time.monotonic() - started < 5
    sent = httpx.post(url, content=b"x" * (2 << 20), headers={"content-type": "application/json"}, timeout=30)
    assert sent.status_code == 413 and sent.json()["field"] == "content-length"


@pytest.mark.parametrize(
    ("lines", "statuses"),
    [
        (("content-length: -1",), {"400"}),
        (("content-length: abc",), {"400"}),
        (("transfer-encoding: chunked",), {"411"}),
        ((), {"411"}),
    ],
    ids=["negative", "not a number", "chunked", "missing"],
)
def test_function_when_content_length_missing_or_invalid_then_4xx_and_no_hang(
    servers: dict[str, str], lines: tuple[str, ...], statuses: set[str]
) -> None:
    answer = _raw(servers["risk"], _request("risk", "content-type: application/json", *lines), timeout=10)
    assert answer.split(" ")[1] in statuses, answer
