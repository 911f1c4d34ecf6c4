"""The func-python Function every alphamoe function serves: run the stage on the guard's event, publish, answer.

`new()` in each `functions/<name>/function/func.py` returns `StageFunction(<name>)`. The handler knows
nothing of where it runs: the stage is library code and the bus is chosen from settings. With Redis
(`ALPHAMOE_REDIS_URL`), the outputs are written to their streams before the 2xx answer, and a handled-id
record (SET NX, TTL) makes a redelivered event re-answer without being handled again.

Events come only from `guard.EnvelopeGuard`, which verified the hop's signature and validated the envelope
(kept in the scope: parsed once). A run's roots (market.open, market.close) must also carry a run token an
issuer of this deployment signed (`security.runs`): a forged market.close cannot make execute close a day.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any, Protocol

import redis
from func_python.cloudevent import CloudEventSender

from alphamoe.bus import codec
from alphamoe.bus.base import Bus
from alphamoe.bus.memory import InMemoryBus
from alphamoe.bus.redis import RedisBus
from alphamoe.errors import AlphamoeError, ApprovalError, AuthenticationError, DataError, EventError, clip
from alphamoe.events.envelope import Envelope
from alphamoe.functions.guard import BRIDGE_HEADER, ENVELOPE, HopPolicy, Receive, Scope, Send, send_json
from alphamoe.functions.telemetry import FunctionMetrics, bound
from alphamoe.pipeline.factory import build_stage
from alphamoe.pipeline.stages.protocol import Stage
from alphamoe.security import runs
from alphamoe.security.keys import require_key
from alphamoe.settings import Settings

log = logging.getLogger("alphamoe.functions")
NEEDS_SECRET = ("risk", "execute")
EXPIRE_EVERY_S = 1.0


class StageBuilder(Protocol):
    """How a function builds its stage from settings (`pipeline.factory.build_stage`)."""

    def __call__(self, name: str, settings: Settings, *, secret: bytes) -> Stage: ...


class StageFunction:
    """A Knative function instance for one stage (scan, route, size, risk or execute)."""

    def __init__(self, name: str, *, build: StageBuilder = build_stage, expire_every_s: float = EXPIRE_EVERY_S) -> None:
        self.name, self.build, self.expire_every_s = name, build, expire_every_s
        self.stage: Stage | None = None
        self.bus: Bus = InMemoryBus()
        self.fabric: RedisBus | None = None
        self.metrics = FunctionMetrics(name)
        self.policy: HopPolicy | None = None
        self._lock = asyncio.Lock()
        self._expiry: asyncio.Task[None] | None = None

    def start(self, cfg: Mapping[str, str]) -> None:
        """Build settings from the environment and the stage once; a bad configuration fails here.

        Every function needs a valid event key (ALPHAMOE_EVENT_KEY), risk and execute a valid approval
        secret (ALPHAMOE_APPROVAL_SECRET): missing, short or placeholder keys refuse to start.
        """
        settings = Settings()
        key = require_key(settings.event_key, "ALPHAMOE_EVENT_KEY")
        secret = require_key(settings.approval_secret, "ALPHAMOE_APPROVAL_SECRET") if self.name in NEEDS_SECRET else b""
        if settings.redis_url:
            self.fabric = RedisBus.from_url(settings.redis_url, settings.fabric)
            self.bus = self.fabric
        stage = self.build(self.name, settings, secret=secret)
        if self.fabric is not None:  # execute: its outbox goes out on this path too
            stage.publish_with(self.fabric.publish_all)
        stage.warm()  # e.g. scan's kernels: paid before readiness, so the first event is fast
        stage.start()  # execute: reconcile the days the journal still has open orders for
        self.stage = stage
        self.policy = HopPolicy(key, settings.fabric.max_body_bytes, settings.fabric.body_timeout_s)
        try:
            self._expiry = asyncio.get_running_loop().create_task(self._expire_batches())
        except RuntimeError:  # started outside an event loop (a unit test): no timer
            self._expiry = None
        log.info("function %s ready (data %s, bus %s)", self.name, settings.data, "redis" if self.fabric else "memory")

    def stop(self) -> None:
        """Stop the barrier timer and let the stage release what it holds (execute: the broker session)."""
        if self._expiry is not None:
            self._expiry.cancel()
        if self.stage is not None:
            self.stage.stop()
        self.stage, self.policy = None, None

    def alive(self) -> tuple[bool, str]:
        return True, "OK"

    def ready(self) -> tuple[bool, str]:
        """Ready only when the stage is built, Redis answers (if used) and the stage's own check passes."""
        if self.stage is None:
            return False, f"{self.name}: not started"
        if self.fabric is not None and not self.fabric.ping():
            return False, f"{self.name}: Redis unreachable"
        ok, why = self.stage.health()
        if not ok:
            return False, f"{self.name}: {why}"
        return True, "OK"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # func-python wraps `send` in a CloudEventSender; its `http` sends raw ASGI messages.
        if isinstance(send, CloudEventSender):
            send = send.http
        with self.metrics.timed():
            envelope = scope.get(ENVELOPE)
            if self.stage is None or self.policy is None:
                await send_json(send, 503, {"error": f"function {self.name} is not started"})
                return
            if not isinstance(envelope, Envelope):  # served without its guard: nothing here is authenticated
                refused = AuthenticationError("event not authenticated: serve functions with alphamoe.functions.serve")
                await self._reject(send, 401, refused, scope, "unknown")
                return
            with bound(envelope, function=self.name):
                await self._handle(envelope, scope, send)

    def _check_issued(self, envelope: Envelope[Any]) -> None:
        # A root starts or ends a run: only an issuer holding the event key may have made it.
        if envelope.causation_id is None and self.policy is not None:
            runs.verify(self.policy.key, envelope.run_token, envelope.run_id, envelope.trading_day)

    async def _handle(self, envelope: Envelope[Any], scope: Scope, send: Send) -> None:
        stage = self.stage
        assert stage is not None
        log.info("handling %s", envelope.type)
        try:
            self._check_issued(envelope)
            async with self._lock:
                prior = await asyncio.to_thread(self.fabric.answered, self.name, envelope.id) if self.fabric else None
                if prior is not None:
                    log.info("already handled: answering as before")
                    self.metrics.record(envelope.type, 200, "duplicate")
                    await self._reanswer(send, prior)
                    return
                outputs = await asyncio.to_thread(stage.handle, envelope)
                answer = await asyncio.to_thread(self._commit, envelope, outputs)
        except AuthenticationError as exc:
            await self._reject(send, 401, exc, scope, envelope.type)
            return
        except (EventError, ApprovalError) as exc:
            await self._reject(send, 400 if isinstance(exc, EventError) else 403, exc, scope, envelope.type)
            return
        except DataError as exc:
            await self._reject(send, 422, exc, scope, envelope.type)
            return
        except (AlphamoeError, redis.RedisError) as exc:  # transient: the sender retries
            log.warning("transient failure, the sender retries: %s", exc)
            self.metrics.record(envelope.type, 503, "transient")
            await send_json(send, 503, {"error": clip(str(exc), 1000)})
            return
        except Exception as exc:  # a bug: answer 500 so the sender retries, keep the trace in the log
            log.exception("function %s failed", self.name)
            self.metrics.record(envelope.type, 500, "error")
            await send_json(send, 500, {"error": clip(f"{type(exc).__name__}: {exc}", 1000)})
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
        # The barriers' timeouts (DESIGN.md §4) need a clock: nothing else wakes a batch that lost an event.
        while True:
            await asyncio.sleep(self.expire_every_s)
            stage = self.stage
            if stage is None:
                continue
            try:
                async with self._lock:
                    outputs = await asyncio.to_thread(stage.expire)
                    if outputs:
                        log.warning("batch barrier timed out: %d event(s) sent with the inputs at hand", len(outputs))
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
        message = clip(str(exc), 1000)
        event = scope.get("event")
        # Unauthenticated events are never parked (outsiders must not fill the queue); the bridge parks its own.
        if status != 401 and not _from_bridge(scope) and event is not None:
            raw = {"attributes": event.get_attributes(), "data": event.get_data()}
            await asyncio.to_thread(self.bus.park, message, raw)
        log.warning("rejected with %d: %s", status, message)
        self.metrics.record(event_type, status, "unauthenticated" if status == 401 else "rejected")
        await send_json(send, status, {"error": message, "field": field})

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
