"""ASGI guard in front of func-python: reject a malformed CloudEvent with a 400 that names the field.

func-python answers every undecodable request with the same generic 400. A trading system owes the sender
the reason, and must not lose the event: the guard validates the envelope and payload first, parks what
fails in the dead-letter sink, and passes valid requests through unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from alphamoe.bus.base import DeadLetter
from alphamoe.errors import EventError
from alphamoe.events.envelope import from_http

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
BRIDGE_HEADER = "x-alphamoe-bridge"
"""Header the bridge sets on its deliveries: it dead-letters failures itself, so the function must not."""


async def read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body", False):
            return body


async def send_json(send: Send, status: int, document: dict[str, Any]) -> None:
    await send_bytes(send, status, json.dumps(document).encode(), b"application/json")


async def send_bytes(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class EnvelopeGuard:
    """Validate each CloudEvent before the function sees it; health and lifespan pass straight through.

    `GET /metrics` answers the Prometheus exposition from `metrics()`, on the function's own port.
    """

    def __init__(
        self,
        app: ASGIApp,
        dead_letter: Callable[[], DeadLetter | None],
        metrics: Callable[[], bytes] | None = None,
    ) -> None:
        self.app, self.dead_letter, self.metrics = app, dead_letter, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path.startswith("/health"):
            await self.app(scope, receive, send)
            return
        if path == "/metrics" and self.metrics is not None:
            await send_bytes(send, 200, self.metrics(), b"text/plain; version=0.0.4; charset=utf-8")
            return
        body = await read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            from_http(headers, body)
        except EventError as exc:
            sink = self.dead_letter()
            if sink is not None and BRIDGE_HEADER not in headers:  # the bridge dead-letters its own deliveries
                sink.park(str(exc), {"headers": headers, "body": body.decode("utf-8", "replace")})
            await send_json(send, 400, {"error": str(exc), "field": exc.field})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
