"""The func-python Function every alphamoe function serves: parse, run the stage, publish, answer.

`new()` in each `functions/<name>/function/func.py` returns `StageFunction(<name>)`. The handler knows
nothing of where it runs: the stage is library code and the bus is chosen from settings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from cloudevents.core.bindings.http import to_binary_event

from alphamoe.bus.memory import InMemoryBus
from alphamoe.errors import AlphamoeError, ApprovalError, ConfigurationError, DataError, EventError
from alphamoe.events.envelope import Envelope, parse_event
from alphamoe.functions.guard import Receive, Scope, Send, send_json
from alphamoe.pipeline.factory import AnyStage, build_stage
from alphamoe.settings import Settings

log = logging.getLogger("alphamoe.functions")
NEEDS_SECRET = ("risk", "execute")


class StageFunction:
    """A Knative function instance for one stage (scan, route, size, risk or execute)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stage: AnyStage | None = None
        self.bus = InMemoryBus()
        self._lock = asyncio.Lock()

    def start(self, cfg: Mapping[str, str]) -> None:
        """Build settings from the environment and the stage once; a bad configuration fails here."""
        settings = Settings()
        secret = settings.approval_secret
        if self.name in NEEDS_SECRET and secret is None:
            raise ConfigurationError(
                f"function {self.name} needs ALPHAMOE_APPROVAL_SECRET (the risk approval HMAC key)"
            )
        key = secret.get_secret_value().encode() if secret else b""
        self.stage = build_stage(self.name, settings, secret=key)
        log.info("function %s ready (data %s)", self.name, settings.data)

    def stop(self) -> None:
        self.stage = None

    def alive(self) -> tuple[bool, str]:
        return True, "OK"

    def ready(self) -> tuple[bool, str]:
        return (True, "OK") if self.stage is not None else (False, f"{self.name}: not started")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # func-python wraps `send` in a CloudEventSender; its `http` sends raw ASGI messages.
        send = getattr(send, "http", send)
        if self.stage is None:
            await send_json(send, 503, {"error": f"function {self.name} is not started"})
            return
        try:
            envelope = parse_event(scope["event"])
        except EventError as exc:
            await self._reject(send, 400, exc, scope)
            return
        try:
            async with self._lock:
                outputs = await asyncio.to_thread(self.stage.handle, envelope)
        except (EventError, ApprovalError) as exc:
            await self._reject(send, 400 if isinstance(exc, EventError) else 403, exc, scope)
            return
        except DataError as exc:
            await self._reject(send, 422, exc, scope)
            return
        except AlphamoeError as exc:  # transient: the sender retries
            await send_json(send, 503, {"error": str(exc)})
            return
        except Exception as exc:  # a bug: answer 500 so the sender retries, keep the trace in the log
            log.exception("function %s failed on event %s", self.name, envelope.id)
            await send_json(send, 500, {"error": f"{type(exc).__name__}: {exc}"})
            return
        for output in outputs:
            self.bus.publish(output)
        await self._answer(send, outputs)

    async def _reject(self, send: Send, status: int, exc: AlphamoeError, scope: Scope) -> None:
        field = exc.field if isinstance(exc, EventError) else None
        event = scope.get("event")
        raw: dict[str, Any] = {"attributes": event.get_attributes(), "data": event.get_data()} if event else {}
        self.bus.park(str(exc), raw)
        await send_json(send, status, {"error": str(exc), "field": field})

    async def _answer(self, send: Send, outputs: list[Envelope[Any]]) -> None:
        """Answer with the last output event (binary mode), or 202 when the stage is waiting for more."""
        if not outputs:
            await send_json(send, 202, {"accepted": True, "outputs": 0})
            return
        message = to_binary_event(outputs[-1].to_cloudevent())
        headers = [(k.encode(), v.encode()) for k, v in message.headers.items()]
        headers.append((b"content-length", str(len(message.body)).encode()))
        headers.append((b"x-alphamoe-outputs", str(len(outputs)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": message.body})
