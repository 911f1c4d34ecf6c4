"""The func-python Function every alphamoe function serves: parse, run the stage, publish, answer.

`new()` in each `functions/<name>/function/func.py` returns `StageFunction(<name>)`. The handler knows
nothing of where it runs: the stage is library code and the bus is chosen from settings. With Redis
(`ALPHAMOE_REDIS_URL`), the outputs are written to their streams before the 2xx answer, and a handled-id
record (SET NX, TTL) makes a redelivered event re-answer without being handled again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

import redis

from alphamoe.bus import codec
from alphamoe.bus.base import Bus
from alphamoe.bus.memory import InMemoryBus
from alphamoe.bus.redis import RedisBus
from alphamoe.errors import AlphamoeError, ApprovalError, ConfigurationError, DataError, EventError
from alphamoe.events.envelope import Envelope, parse_event
from alphamoe.functions.guard import BRIDGE_HEADER, Receive, Scope, Send, send_json
from alphamoe.functions.telemetry import FunctionMetrics, bound
from alphamoe.pipeline.factory import AnyStage, build_stage
from alphamoe.settings import Settings

log = logging.getLogger("alphamoe.functions")
NEEDS_SECRET = ("risk", "execute")
EXPIRE_EVERY_S = 1.0


class StageFunction:
    """A Knative function instance for one stage (scan, route, size, risk or execute)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stage: AnyStage | None = None
        self.bus: Bus = InMemoryBus()
        self.fabric: RedisBus | None = None
        self.metrics = FunctionMetrics(name)
        self._lock = asyncio.Lock()
        self._expiry: asyncio.Task[None] | None = None

    def start(self, cfg: Mapping[str, str]) -> None:
        """Build settings from the environment and the stage once; a bad configuration fails here."""
        settings = Settings()
        secret = settings.approval_secret
        if self.name in NEEDS_SECRET and secret is None:
            raise ConfigurationError(
                f"function {self.name} needs ALPHAMOE_APPROVAL_SECRET (the risk approval HMAC key)"
            )
        key = secret.get_secret_value().encode() if secret else b""
        if settings.redis_url:
            self.fabric = RedisBus.from_url(settings.redis_url, settings.fabric)
            self.bus = self.fabric
        self.stage = build_stage(self.name, settings, secret=key)
        publish_with = getattr(self.stage, "publish_with", None)
        if self.fabric is not None and callable(publish_with):  # execute: its outbox goes out on this path too
            publish_with(self.fabric.publish_all)
        warm = getattr(self.stage, "warm", None)
        if callable(warm):  # e.g. scan's kernels: paid before readiness, so the first event is fast
            warm()
        if hasattr(self.stage, "expire"):
            try:
                self._expiry = asyncio.get_running_loop().create_task(self._expire_batches())
            except RuntimeError:  # started outside an event loop (a unit test): no timer
                self._expiry = None
        log.info("function %s ready (data %s, bus %s)", self.name, settings.data, "redis" if self.fabric else "memory")

    def stop(self) -> None:
        """Stop the barrier timer and let the stage release what it holds (execute: the broker session)."""
        if self._expiry is not None:
            self._expiry.cancel()
        release = getattr(self.stage, "stop", None)
        if callable(release):
            release()
        self.stage = None

    def alive(self) -> tuple[bool, str]:
        return True, "OK"

    def ready(self) -> tuple[bool, str]:
        """Ready only when the stage is built, Redis answers (if used) and the stage's own check passes."""
        if self.stage is None:
            return False, f"{self.name}: not started"
        if self.fabric is not None and not self.fabric.ping():
            return False, f"{self.name}: Redis unreachable"
        health = getattr(self.stage, "health", None)
        if callable(health):
            ok, why = health()
            if not ok:
                return False, f"{self.name}: {why}"
        return True, "OK"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # func-python wraps `send` in a CloudEventSender; its `http` sends raw ASGI messages.
        send = getattr(send, "http", send)
        with self.metrics.timed():
            if self.stage is None:
                await send_json(send, 503, {"error": f"function {self.name} is not started"})
                return
            try:
                envelope = parse_event(scope["event"])
            except EventError as exc:
                await self._reject(send, 400, exc, scope, "?")
                return
            with bound(envelope, function=self.name):
                await self._handle(envelope, scope, send)

    async def _handle(self, envelope: Envelope[Any], scope: Scope, send: Send) -> None:
        stage = self.stage
        assert stage is not None
        log.info("handling %s", envelope.type)
        try:
            async with self._lock:
                prior = await asyncio.to_thread(self.fabric.answered, self.name, envelope.id) if self.fabric else None
                if prior is not None:
                    log.info("already handled: answering as before")
                    self.metrics.record(envelope.type, 200, "duplicate")
                    await self._reanswer(send, prior)
                    return
                outputs = await asyncio.to_thread(stage.handle, envelope)
                answer = await asyncio.to_thread(self._commit, envelope, outputs)
        except (EventError, ApprovalError) as exc:
            await self._reject(send, 400 if isinstance(exc, EventError) else 403, exc, scope, envelope.type)
            return
        except DataError as exc:
            await self._reject(send, 422, exc, scope, envelope.type)
            return
        except (AlphamoeError, redis.RedisError) as exc:  # transient: the sender retries
            log.warning("transient failure, the sender retries: %s", exc)
            self.metrics.record(envelope.type, 503, "transient")
            await send_json(send, 503, {"error": str(exc)})
            return
        except Exception as exc:  # a bug: answer 500 so the sender retries, keep the trace in the log
            log.exception("function %s failed", self.name)
            self.metrics.record(envelope.type, 500, "error")
            await send_json(send, 500, {"error": f"{type(exc).__name__}: {exc}"})
            return
        log.info("handled: %d output(s)", len(outputs))
        self.metrics.record(envelope.type, 200 if outputs else 202, "handled")
        await self._reanswer(send, answer)

    def _commit(self, envelope: Envelope[Any], outputs: list[Envelope[Any]]) -> str:
        # Outputs first, then the handled record: a crash in between re-handles (same ids, deduplicated).
        answer = json.dumps({"outputs": len(outputs), "last": codec.encode(outputs[-1]) if outputs else None})
        if self.fabric is not None:
            self.fabric.publish_all(outputs)
            self.fabric.record_handled(self.name, envelope.id, answer)
        else:
            for output in outputs:
                self.bus.publish(output)
        return answer

    async def _expire_batches(self) -> None:
        # The size barrier's timeout (DESIGN.md §4) needs a clock: nothing else wakes a batch that lost a signal.
        while True:
            await asyncio.sleep(EXPIRE_EVERY_S)
            expire = getattr(self.stage, "expire", None)
            if expire is None:
                continue
            try:
                async with self._lock:
                    outputs = await asyncio.to_thread(expire)
                    if outputs:
                        log.warning(
                            "batch barrier timed out: %d order(s) proposed with the signals at hand", len(outputs)
                        )
                        await asyncio.to_thread(self._publish, outputs)
            except (AlphamoeError, redis.RedisError) as exc:
                log.warning("barrier expiry check failed, retrying: %s", exc)

    def _publish(self, outputs: list[Envelope[Any]]) -> None:
        if self.fabric is not None:
            self.fabric.publish_all(outputs)
        else:
            for output in outputs:
                self.bus.publish(output)

    async def _reject(self, send: Send, status: int, exc: AlphamoeError, scope: Scope, event_type: str) -> None:
        field = exc.field if isinstance(exc, EventError) else None
        event = scope.get("event")
        raw: dict[str, Any] = {"attributes": event.get_attributes(), "data": event.get_data()} if event else {}
        if not _from_bridge(scope):  # the bridge dead-letters what it delivered itself
            self.bus.park(str(exc), raw)
        log.warning("rejected with %d: %s", status, exc)
        self.metrics.record(event_type, status, "rejected")
        await send_json(send, status, {"error": str(exc), "field": field})

    async def _reanswer(self, send: Send, answer: str) -> None:
        """Answer with the last output event (binary mode), or 202 when the stage is waiting for more."""
        recorded = json.loads(answer)
        if not recorded["outputs"]:
            await send_json(send, 202, {"accepted": True, "outputs": 0})
            return
        headers_in, body = codec.http_message(recorded["last"])
        headers = [(k.encode(), v.encode()) for k, v in headers_in.items()]
        headers.append((b"content-length", str(len(body)).encode()))
        headers.append((b"x-alphamoe-outputs", str(recorded["outputs"]).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _from_bridge(scope: Scope) -> bool:
    return any(k.decode("latin-1").lower() == BRIDGE_HEADER for k, _ in scope.get("headers", []))
