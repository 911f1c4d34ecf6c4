"""The function guard as an ASGI app: bounded bodies, the hop's signature before any decoding, one parse.

A hand-written function and inner app stand in for func-python: the guard is the unit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from support.keys import EVENT_KEY

from alphamoe.bus.memory import InMemoryBus
from alphamoe.events.envelope import Envelope, build_event, to_http
from alphamoe.events.payloads import MarketOpen
from alphamoe.functions.guard import BRIDGE_HEADER, ENVELOPE, EnvelopeGuard, HopPolicy, Message, Scope
from alphamoe.functions.telemetry import FunctionMetrics
from alphamoe.security import hops

OPEN = build_event(MarketOpen(trading_day=date(2025, 3, 3), account_id="paper"), run_id="r1", source="/test")


@dataclass
class Function:
    """The guarded function: a policy once started, an in-memory dead-letter sink, metrics."""

    policy: HopPolicy | None = field(default_factory=lambda: HopPolicy(EVENT_KEY, 4096, 1.0))
    bus: InMemoryBus = field(default_factory=InMemoryBus)
    metrics: FunctionMetrics = field(default_factory=lambda: FunctionMetrics("test"))


@dataclass
class Inner:
    """The app behind the guard: records the scope and body it was given."""

    seen: list[tuple[Scope, bytes]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        body = (await receive())["body"]
        self.seen.append((scope, body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@dataclass
class Answer:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def _call(
    guard: EnvelopeGuard, headers: dict[str, str], chunks: list[bytes], *, read_delay: float = 0.0
) -> tuple[Answer, int]:
    """Send one POST through the guard; return the answer and how many body messages the guard read."""
    answer = Answer()
    read = 0

    async def receive() -> Message:
        nonlocal read
        await asyncio.sleep(read_delay)
        read += 1
        if read > len(chunks):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            answer.body += message.get("body", b"")

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }
    asyncio.run(guard(scope, receive, send))
    return answer, read


def _signed(extra: dict[str, str] | None = None, envelope: Envelope[Any] = OPEN) -> tuple[dict[str, str], bytes]:
    headers, body = to_http(envelope)
    headers = hops.signed({**headers, **(extra or {})}, body, EVENT_KEY)
    return {**headers, "content-length": str(len(body))}, body


def _guard() -> tuple[EnvelopeGuard, Function, Inner]:
    function, inner = Function(), Inner()
    return EnvelopeGuard(inner, function), function, inner


def test_guard_when_signed_event_then_passes_the_validated_envelope_in_the_scope() -> None:
    guard, _, inner = _guard()
    headers, body = _signed()
    answer, _ = _call(guard, headers, [body])
    assert answer.status == 200
    [(scope, passed)] = inner.seen
    assert scope[ENVELOPE] == OPEN and passed == body


def test_guard_when_unsigned_then_401_not_parked_and_counted() -> None:
    guard, function, inner = _guard()
    headers, body = to_http(OPEN)
    answer, _ = _call(guard, {**headers, "content-length": str(len(body))}, [body])
    assert answer.status == 401 and b"x-alphamoe-signature" in answer.body
    assert inner.seen == [] and function.bus.dead_letters == []
    assert b'alphamoe_event_failures_total{function="test",status="401"} 1.0' in function.metrics.exposition()


def test_guard_when_payload_changed_after_signing_then_401_before_decoding() -> None:
    guard, function, inner = _guard()
    headers, body = _signed()
    answer, _ = _call(guard, headers, [body.replace(b"paper", b"other")])
    assert answer.status == 401 and inner.seen == [] and function.bus.dead_letters == []


def test_guard_when_signed_but_malformed_then_400_names_the_field_and_parks_it_clipped() -> None:
    guard, function, inner = _guard()
    headers, body = _signed({"ce-runid": "y" * 3000})
    del headers["ce-tradingday"]
    headers = {**hops.signed(headers, body, EVENT_KEY), "content-length": str(len(body))}
    answer, _ = _call(guard, headers, [body])
    assert answer.status == 400 and b'"field": "tradingday"' in answer.body
    [parked] = function.bus.dead_letters
    assert "tradingday" in parked.reason and len(parked.reason) <= 1_100
    assert inner.seen == []


def test_guard_when_the_bridge_sent_a_malformed_event_then_not_parked_twice() -> None:
    guard, function, _ = _guard()
    headers, body = _signed({BRIDGE_HEADER: "b1"})
    del headers["ce-runid"]
    headers = {**hops.signed(headers, body, EVENT_KEY), "content-length": str(len(body))}
    assert _call(guard, headers, [body])[0].status == 400
    assert function.bus.dead_letters == []


def test_guard_when_body_declared_over_the_limit_then_413_without_reading_it() -> None:
    guard, _, inner = _guard()
    headers, _ = _signed()
    answer, read = _call(guard, {**headers, "content-length": "5000"}, [b"x" * 5000])
    assert answer.status == 413 and b"4096" in answer.body and read == 0
    assert answer.headers["connection"] == "close" and inner.seen == []


def test_guard_when_body_grows_past_the_limit_while_read_then_413_at_once() -> None:
    guard, _, _ = _guard()
    headers, _ = _signed()
    chunks = [b"x" * 1024] * 10  # a sender whose content-length understates the body
    answer, read = _call(guard, {**headers, "content-length": "100"}, chunks)
    assert answer.status == 413 and read == 5


@pytest.mark.parametrize(
    ("length", "status"),
    [(None, 411), ("-1", 400), ("12abc", 400), ("", 400)],
    ids=["missing", "negative", "junk", "empty"],
)
def test_guard_when_content_length_missing_or_invalid_then_4xx_before_reading(length: str | None, status: int) -> None:
    guard, _, _ = _guard()
    headers, body = _signed()
    del headers["content-length"]
    if length is not None:
        headers["content-length"] = length
    answer, read = _call(guard, headers, [body])
    assert answer.status == status and read == 0
    assert b'"field": "content-length"' in answer.body


def test_guard_when_body_arrives_too_slowly_then_408() -> None:
    guard, function, _ = _guard()
    function.policy = HopPolicy(EVENT_KEY, 4096, 0.05)
    headers, body = _signed()
    answer, _ = _call(guard, headers, [body], read_delay=0.2)
    assert answer.status == 408


def test_guard_when_function_not_started_then_503() -> None:
    guard, function, _ = _guard()
    function.policy = None
    headers, body = _signed()
    assert _call(guard, headers, [body])[0].status == 503
