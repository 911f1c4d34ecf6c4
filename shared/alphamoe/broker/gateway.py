"""The TAL gateway: any adapter served over HTTP, so execute on Linux can drive a broker client elsewhere
(MiniQMT on a Windows host beside the cluster, or a paper broker that outlives execute in a drill).

JSON over HTTP/1.1 with a shared bearer token of at least 32 bytes (compared in constant time, before a
byte of the body is read), HTTPS when a certificate and key are given and required to bind anything but
loopback. Requests are bounded (`bounded_http`): body size, time to arrive, connections at once. One
broker per trading day, made on first use by the factory. Broker reports are kept in a numbered log per
day that clients long-poll (`GET /v1/<day>/events?after=N`); the gateway id changes when the gateway
restarts, which tells a client its numbering (and session) is gone.
"""

from __future__ import annotations

import hmac
import logging
import math
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from pydantic import SecretStr, ValidationError

from alphamoe.broker.bounded_http import (
    BoundedHandler,
    BoundedHTTPServer,
    HttpLimits,
    RequestRefusedError,
    excerpt,
    is_loopback,
    tls_context,
)
from alphamoe.broker.protocol import Broker, BrokerOrder, BrokerUnavailableError, SubmitOrder
from alphamoe.errors import AlphamoeError, ConfigurationError
from alphamoe.security.keys import require_key

log = logging.getLogger("alphamoe.broker.gateway")
BrokerFactory = Callable[[date], Broker]
TOKEN_SETTING = "ALPHAMOE_BROKER__TOKEN"
MAX_WAIT_S = 30.0  # the longest long-poll


@dataclass
class _Day:
    broker: Broker
    events: list[BrokerOrder] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)


class Gateway:
    """The brokers behind the HTTP API, one per trading day."""

    def __init__(self, factory: BrokerFactory, token: SecretStr | str | None) -> None:
        self.factory = factory
        self._expected = b"Bearer " + require_key(token, TOKEN_SETTING)
        self.gateway_id = uuid.uuid4().hex
        self.submits: Counter[str] = Counter()  # submit requests per client order id that reached the broker
        self._days: dict[date, _Day] = {}
        self._lock = threading.RLock()

    def day(self, day: date) -> _Day:
        with self._lock:
            if day not in self._days:
                try:
                    broker = self.factory(day)
                except AlphamoeError as exc:  # e.g. no bars for that day: no broker to serve, not a bug
                    raise BrokerUnavailableError(f"no broker for {day}: {excerpt(str(exc))}") from exc
                entry = _Day(broker)

                def keep(report: BrokerOrder, entry: _Day = entry) -> None:
                    with entry.changed:
                        entry.events.append(report)
                        entry.changed.notify_all()

                broker.subscribe(keep)
                self._days[day] = entry
            entry = self._days[day]
            if not entry.broker.connected:
                entry.broker.connect()
            return entry

    def authorised(self, header: str | None) -> bool:
        # http.server decodes headers as latin-1: encoding back gives the bytes the client sent
        return header is not None and hmac.compare_digest(header.encode("latin-1"), self._expected)

    def route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        """Answer one request: (HTTP status, JSON document)."""
        parts = [p for p in path.split("/") if p]
        if parts == ["v1", "stats"]:
            return 200, {"gateway_id": self.gateway_id, "submits": dict(self.submits)}
        if len(parts) < 3 or parts[0] != "v1":
            return 404, {"error": f"no route {method} {excerpt(path)}"}
        day = _day(parts[1])
        entry = self.day(day)
        broker = entry.broker
        action = parts[2:]
        with self._lock:
            if method == "POST" and action == ["session"]:
                return 200, {
                    "gateway_id": self.gateway_id,
                    "session_id": uuid.uuid4().hex,
                    "broker": broker.name,
                    "next": len(entry.events),
                }
            if method == "POST" and action == ["orders"]:
                order = _submit_order(body)
                self.submits[order.client_order_id] += 1
                return 200, broker.submit(order).model_dump(mode="json")
            if method == "POST" and len(action) == 3 and action[0] == "orders" and action[2] == "cancel":
                return 200, broker.cancel(action[1]).model_dump(mode="json")
            if method == "GET" and action == ["orders"]:
                return 200, [o.model_dump(mode="json") for o in broker.orders()]
            if method == "GET" and action == ["account"]:
                return 200, broker.account().model_dump(mode="json")
            if method == "POST" and action == ["end_of_day"]:
                return 200, broker.end_of_day().model_dump(mode="json")
        if method == "GET" and action == ["events"]:
            after = int(_number(query, "after", int))
            wait = min(_number(query, "wait", float), MAX_WAIT_S)
            with entry.changed:
                if len(entry.events) <= after and wait > 0:
                    entry.changed.wait(wait)
                events = entry.events[after:]
            return 200, {
                "gateway_id": self.gateway_id,
                "next": after + len(events),
                "events": [e.model_dump(mode="json") for e in events],
            }
        return 404, {"error": f"no route {method} {excerpt(path)}"}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RequestRefusedError(400, f"trading day {excerpt(text)!r} is not YYYY-MM-DD", field="day") from None


def _number(query: dict[str, list[str]], name: str, kind: type[int] | type[float]) -> float:
    text = query.get(name, ["0"])[0]
    try:
        value = kind(text)
        valid = math.isfinite(value) and value >= 0
    except (ValueError, OverflowError):  # not a number; an int too large for a float
        valid = False
    if not valid:
        raise RequestRefusedError(400, f"query {name}={excerpt(text)!r} is not a number >= 0", field=name)
    return value


def _submit_order(body: bytes) -> SubmitOrder:
    try:
        return SubmitOrder.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = excerpt(".".join(str(p) for p in first["loc"])) or "body"
        more = f"; {exc.error_count() - 1} more error(s)" if exc.error_count() > 1 else ""
        raise RequestRefusedError(
            400,
            f"order field {where!r}: {excerpt(first['msg'])} (was {excerpt(repr(first.get('input')))}){more}",
            field=where,
        ) from None


def _handler(gateway: Gateway) -> type[BoundedHandler]:
    class Handler(BoundedHandler):
        def admit(self) -> int:
            # the token first: a stranger's request is refused on its headers, its body never read
            if urlparse(self.path).path != "/health" and not gateway.authorised(self.headers.get("authorization")):
                raise RequestRefusedError(401, "missing or wrong bearer token", field="authorization")
            return super().admit()

        def respond(self, body: bytes) -> tuple[int, Any]:
            url = urlparse(self.path)
            if url.path == "/health":
                return 200, {"gateway_id": gateway.gateway_id}
            try:
                return gateway.route(self.command, url.path, parse_qs(url.query), body)
            except BrokerUnavailableError as exc:
                return 503, {"error": excerpt(str(exc))}
            except KeyError as exc:
                return 404, {"error": excerpt(str(exc))}
            except ValueError as exc:
                return 400, {"error": excerpt(str(exc))}
            except RequestRefusedError:
                raise
            except Exception as exc:  # a bug: keep serving, say what happened
                log.exception("gateway failed on %s %s", self.command, excerpt(url.path))
                return 500, {"error": excerpt(f"{type(exc).__name__}: {exc}")}

    return Handler


def make_server(
    gateway: Gateway,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    limits: HttpLimits | None = None,
) -> BoundedHTTPServer:
    """Return a bound (not yet serving) server; HTTPS when certfile and keyfile are given.

    Refused: a certificate without its key or a key without its certificate, and any address but loopback
    without TLS (the token and every order would cross the network in clear).
    """
    tls = tls_context(certfile, keyfile)
    if tls is None and not is_loopback(host):
        raise ConfigurationError(
            f"the gateway binds {host or 'every interface'} without TLS: set ALPHAMOE_BROKER__TLS_CERT and "
            "__TLS_KEY, or bind 127.0.0.1"
        )
    return BoundedHTTPServer((host, port), _handler(gateway), limits or HttpLimits(), tls)
