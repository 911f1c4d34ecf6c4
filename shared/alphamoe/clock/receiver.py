"""HTTP receiver for Knative PingSource: a ping names a tick, the clock claims it and publishes it.

PingSource sends a CloudEvent (`dev.knative.sources.ping`, binary mode) whose data is the `spec.data` of
the manifest, e.g. `{"tick": "market.open"}`; `{"tick": "catch-up"}` is the sweep that catches up a missed
tick when the cluster returns; `{"tick": "report"}` writes the day's end-of-day report after the close.
Duplicates answer 200: acknowledged, so PingSource does not retry them.

Who may ping: a request signed with the event key (`x-alphamoe-signature`, `security.hops`: a trader's
script, a CronJob holding the key) may do anything, `force` included. PingSource cannot sign; in-cluster it
is identified by Knative's OIDC sender identity (`features: authentication-oidc`) and the NetworkPolicy, and
`ALPHAMOE_CLOCK__ACCEPT_UNSIGNED_PINGS=true` lets such unsigned pings in: they name only a tick, so the most a
forged one can do is claim today's tick once (the ledger's claim), never force a rerun. Anything else: 401.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import redis

from alphamoe.clock.ledger import CalendarCoverageError, ClockRecord
from alphamoe.clock.schedule import TickKind, local_day
from alphamoe.clock.trigger import Clock
from alphamoe.errors import AlphamoeError, AuthenticationError, ConfigurationError, DataError, clip
from alphamoe.functions.guard import (
    Receive,
    RequestError,
    Scope,
    Send,
    declared_length,
    header_map,
    read_body,
    send_json,
)
from alphamoe.security import hops

log = logging.getLogger("alphamoe.clock")
CATCH_UP = "catch-up"
REPORT = "report"
TICKS = (*(k.value for k in TickKind), CATCH_UP, REPORT)
WriteReport = Callable[[date], str]
PING_BYTES = 64 << 10
"""A ping is a few dozen bytes; anything past this is refused (413) before it is read."""
BODY_TIMEOUT_S = 30.0


def _ping_data(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    document = json.loads(body or b"{}")
    if headers.get("content-type", "").startswith("application/cloudevents"):
        document = document.get("data") or {}  # structured mode: the ping's data sits under "data"
    if not isinstance(document, dict):
        raise ValueError('ping data must be a JSON object like {"tick": "market.open"}')
    return document


FORCE_WINDOW = timedelta(minutes=5)
"""How far a forced ping's signed `ce-time` may be from the clock's now."""


class ClockReceiver:
    """ASGI app: POST a ping → the clock's records as JSON; GET /health/* for the probes."""

    def __init__(
        self, clock: Callable[[], Clock], *, trigger: str = "pingsource", write_report: WriteReport | None = None
    ) -> None:
        # built lazily: Redis may come up after the pod
        self._clock, self.trigger, self.write_report = clock, trigger, write_report

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if str(scope.get("path", "")).startswith("/health"):
            await send_json(send, 200, {"status": "OK"})
            return
        if scope.get("method") != "POST":
            await send_json(send, 405, {"error": 'POST a ping: {"tick": "market.open"}'})
            return
        headers = header_map(scope)
        try:
            declared_length(headers, PING_BYTES)
            async with asyncio.timeout(BODY_TIMEOUT_S):
                body = await read_body(receive, PING_BYTES)
        except TimeoutError:
            await send_json(send, 408, {"error": f"the body did not arrive within {BODY_TIMEOUT_S:g} s"}, close=True)
            return
        except RequestError as exc:
            await send_json(send, exc.status, {"error": str(exc), "field": exc.field}, close=True)
            return
        try:
            signed = await asyncio.to_thread(self._authenticate, headers, body)
        except AuthenticationError as exc:
            log.warning("clock refused a ping: %s", exc)
            await send_json(send, 401, {"error": str(exc), "field": exc.field})
            return
        except (AlphamoeError, redis.RedisError) as exc:  # no clock yet (Redis, settings): PingSource retries
            log.error("clock unavailable: %s", exc)
            await send_json(send, 503, {"error": clip(str(exc), 1000)})
            return
        try:
            data = _ping_data(headers, body)
            tick = str(data.get("tick", ""))
            force = bool(data.get("force", False))
            if tick not in TICKS:
                raise ValueError(f"unknown tick {clip(tick)!r}; expected one of {', '.join(TICKS)}")
        except (ValueError, RecursionError) as exc:
            await send_json(send, 400, {"error": clip(str(exc), 1000)})
            return
        if force and not signed:
            await send_json(send, 401, {"error": "a forced tick needs a ping signed with the event key"})
            return
        if force and (stale := self._stale(headers)) is not None:
            await send_json(send, 401, {"error": stale, "field": "ce-time"})
            return
        try:
            if tick == REPORT:
                await send_json(send, 200, await asyncio.to_thread(self._report))
                return
            records = await asyncio.to_thread(self._handle, tick, force)
        except (
            CalendarCoverageError,
            DataError,
        ) as exc:  # refused loudly: nothing to run or report, or an operator must act
            log.error("clock refused %s: %s", tick, exc)
            await send_json(send, 422, {"error": str(exc)})
            return
        except (
            AlphamoeError,
            redis.RedisError,
        ) as exc:  # Redis or the bus unavailable: let PingSource's delivery retry
            log.error("clock could not handle %s: %s", tick, exc)
            await send_json(send, 503, {"error": str(exc)})
            return
        for record in records:
            log.info("clock %s %s: %s", record.event.value, record.status.value, record.note)
        await send_json(send, 200, {"records": [r.model_dump(mode="json") for r in records]})

    def _authenticate(self, headers: dict[str, str], body: bytes) -> bool:
        # True for a ping signed with the event key; False for an unsigned one the settings let in.
        clock = self._clock()
        if hops.SIGNATURE_HEADER in headers:
            hops.verify(headers, body, clock.event_key)
            return True
        if clock.cfg.accept_unsigned_pings:
            return False
        raise AuthenticationError(
            f"unsigned ping: sign it with the event key ({hops.SIGNATURE_HEADER}), or, in-cluster behind Knative's "
            "OIDC sender identity, set ALPHAMOE_CLOCK__ACCEPT_UNSIGNED_PINGS=true",
            field=hops.SIGNATURE_HEADER,
        )

    def _stale(self, headers: dict[str, str]) -> str | None:
        # A forced tick starts a new run each time: a captured signed ping must not be replayable later. Its
        # signed `ce-time` must be within FORCE_WINDOW of the clock's now (the signature covers every ce-* header).
        stamp = headers.get("ce-time", "")
        try:
            sent = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return "a forced tick needs a signed ce-time (RFC 3339) within its freshness window"
        if sent.tzinfo is None:
            return "a forced tick's ce-time needs a time zone"
        skew = abs((self._clock().now() - sent).total_seconds())
        if skew > FORCE_WINDOW.total_seconds():
            return f"a forced tick's ce-time is {skew:.0f} s from the clock's now (window {FORCE_WINDOW}): replayed?"
        return None

    def _report(self) -> dict[str, Any]:
        clock = self._clock()
        day = local_day(clock.now(), clock.cfg)
        clock.ledger.require_covered(day)
        if not clock.ledger.calendar.is_session(day):
            return {"report": None, "note": f"{day.isoformat()} is not an XSHG session: no report"}
        if self.write_report is None:
            raise ConfigurationError("this receiver writes no reports (no runs folder); use `alphamoe report --build`")
        where = self.write_report(day)
        log.info("clock wrote the end-of-day report of %s: %s", day, where)
        return {"report": where}

    def _handle(self, tick: str, force: bool) -> list[ClockRecord]:
        clock = self._clock()
        if tick == CATCH_UP:
            return clock.catch_up()
        return [clock.fire(TickKind(tick), trigger=self.trigger, force=force)]
