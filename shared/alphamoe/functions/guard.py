"""ASGI guard in front of func-python: bound the request, authenticate the hop, validate the CloudEvent once.

func-python answers every undecodable request with the same generic 400 and reads any body whole. The guard
checks, cheapest first, and decodes nothing before the sender is known:

1. `content-length`: missing → 411, not a non-negative number → 400, above `max_body_bytes` → 413, all
   before a byte of the body is read; the limit is enforced again while reading, under a deadline (408).
2. The hop's signature (`security.hops.verify`) → 401 with the reason, counted and logged but never
   dead-lettered: an outsider's junk must not fill the dead-letter queue or evict a real dead letter.
3. The envelope and payload (`from_http`) → 400 naming the field; parked in the dead-letter sink unless the
   bridge sent it (the bridge dead-letters its own deliveries).

A valid event's Envelope is kept in the ASGI scope under `ENVELOPE`, so the runtime does not parse it again.
Error texts echo at most `errors.ECHO_CHARS` characters of any input.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

from alphamoe.bus.base import DeadLetter
from alphamoe.errors import AuthenticationError, EventError, clip
from alphamoe.events.envelope import from_http
from alphamoe.events.payloads import EVENT_TYPES
from alphamoe.functions.telemetry import FunctionMetrics
from alphamoe.security import hops

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
BRIDGE_HEADER = "x-alphamoe-bridge"
"""Header the bridge sets on its deliveries: it dead-letters failures itself, so the function must not."""
ENVELOPE = "alphamoe.envelope"
"""Scope key of the Envelope the guard validated: the runtime's only source of events."""
log = logging.getLogger("alphamoe.functions.guard")


class RequestError(Exception):
    """A request refused before its event was looked at: the status, and what to fix."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.field = status, field


@dataclass(frozen=True)
class HopPolicy:
    """What a function accepts, fixed at start(): the event key hops are signed with, the body bounds."""

    key: bytes
    max_body_bytes: int
    body_timeout_s: float


class Guarded(Protocol):
    """The function behind the guard: its policy (None until started), dead-letter sink and metrics."""

    metrics: FunctionMetrics

    @property
    def policy(self) -> HopPolicy | None: ...

    @property
    def bus(self) -> DeadLetter: ...


def declared_length(headers: dict[str, str], limit: int) -> int:
    """Return the request's content-length, or raise RequestError (411, 400 or 413) before the body is read."""
    text = headers.get("content-length")
    if text is None:
        raise RequestError(411, "content-length is required (chunked bodies are not accepted)", "content-length")
    if not text.strip().isdigit():
        raise RequestError(400, f"content-length {clip(text)!r} is not a non-negative integer", "content-length")
    length = int(text)
    if length > limit:
        raise RequestError(413, f"request body of {length} bytes exceeds the limit of {limit} bytes", "content-length")
    return length


async def read_body(receive: Receive, limit: int) -> bytes:
    """Read the whole request body, refusing it (413) as soon as it grows past `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RequestError(400, "the client disconnected before sending the whole body")
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"request body exceeds the limit of {limit} bytes", "content-length")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_json(send: Send, status: int, document: dict[str, Any], *, close: bool = False) -> None:
    await send_bytes(send, status, json.dumps(document).encode(), b"application/json", close=close)


async def send_bytes(send: Send, status: int, body: bytes, content_type: bytes, *, close: bool = False) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if close:  # the body was not read: the connection cannot carry another request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def header_map(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def type_label(headers: dict[str, str]) -> str:
    """The metrics label of a refused request: a known event type, else "unknown" (a sender must not pick labels)."""
    event_type = headers.get("ce-type", "")
    return event_type if event_type in EVENT_TYPES else "unknown"


class EnvelopeGuard:
    """Authenticate and validate each CloudEvent before the function sees it; health and lifespan pass through.

    `GET /metrics` answers the Prometheus exposition of the function's metrics, on its own port.
    """

    def __init__(self, app: ASGIApp, function: Guarded) -> None:
        self.app, self.function = app, function

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path.startswith("/health"):
            await self.app(scope, receive, send)
            return
        if path == "/metrics":
            exposition = self.function.metrics.exposition()
            await send_bytes(send, 200, exposition, b"text/plain; version=0.0.4; charset=utf-8")
            return
        headers = header_map(scope)
        policy = self.function.policy
        if policy is None:
            await send_json(send, 503, {"error": "function is not started"}, close=True)
            return
        try:
            declared_length(headers, policy.max_body_bytes)
            async with asyncio.timeout(policy.body_timeout_s):
                body = await read_body(receive, policy.max_body_bytes)
        except TimeoutError:
            timeout = RequestError(408, f"the body did not arrive within {policy.body_timeout_s:g} s")
            await self._refuse(send, headers, timeout, close=True)
            return
        except RequestError as exc:
            await self._refuse(send, headers, exc, close=True)
            return
        try:
            hops.verify(headers, body, policy.key)
        except AuthenticationError as exc:
            await self._refuse(send, headers, RequestError(401, str(exc), exc.field))
            return
        try:
            scope[ENVELOPE] = from_http(headers, body)
        except EventError as exc:
            if BRIDGE_HEADER not in headers:  # the bridge dead-letters its own deliveries
                raw = {"headers": headers, "body": body.decode("utf-8", "replace")}
                await asyncio.to_thread(self.function.bus.park, clip(str(exc), 1000), raw)
            await self._refuse(send, headers, RequestError(400, str(exc), exc.field))
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, headers: dict[str, str], exc: RequestError, *, close: bool = False) -> None:
        message = clip(str(exc), 1000)
        log.warning("refused with %d (%s): %s", exc.status, clip(headers.get("ce-id", "")), message)
        outcome = "unauthenticated" if exc.status == 401 else "rejected"
        self.function.metrics.record(type_label(headers), exc.status, outcome)
        await send_json(send, exc.status, {"error": message, "field": exc.field}, close=close)
