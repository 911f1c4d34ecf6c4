"""The TAL gateway: any adapter served over HTTP, so execute on Linux can drive a broker client elsewhere
(MiniQMT on a Windows host beside the cluster, or a paper broker that outlives execute in a drill).

JSON over HTTP/1.1 with a shared bearer token (compared in constant time), HTTPS when a certificate and key
are given. One broker per trading day, made on first use by the factory. Broker reports are kept in a
numbered log per day that clients long-poll (`GET /v1/<day>/events?after=N`); the gateway id changes
when the gateway restarts, which tells a client its numbering (and session) is gone.
"""

from __future__ import annotations

import hmac
import json
import logging
import ssl
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from pydantic import ValidationError

from alphamoe.broker.protocol import Broker, BrokerOrder, BrokerUnavailableError, SubmitOrder

log = logging.getLogger("alphamoe.broker.gateway")
BrokerFactory = Callable[[date], Broker]


@dataclass
class _Day:
    broker: Broker
    events: list[BrokerOrder] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)


class Gateway:
    """The brokers behind the HTTP API, one per trading day."""

    def __init__(self, factory: BrokerFactory, token: str) -> None:
        if not token:
            raise ValueError("the gateway needs a non-empty shared token")
        self.factory, self.token = factory, token
        self.gateway_id = uuid.uuid4().hex
        self.submits: Counter[str] = Counter()  # submit requests per client order id that reached the broker
        self._days: dict[date, _Day] = {}
        self._lock = threading.RLock()

    def day(self, day: date) -> _Day:
        with self._lock:
            if day not in self._days:
                broker = self.factory(day)
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
        expected = f"Bearer {self.token}"
        return header is not None and hmac.compare_digest(header.encode(), expected.encode())

    def route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        """Answer one request: (HTTP status, JSON document)."""
        parts = [p for p in path.split("/") if p]
        if parts == ["v1", "stats"]:
            return 200, {"gateway_id": self.gateway_id, "submits": dict(self.submits)}
        if len(parts) < 3 or parts[0] != "v1":
            return 404, {"error": f"no route {method} {path}"}
        day = date.fromisoformat(parts[1])
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
                order = SubmitOrder.model_validate_json(body)
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
            after = int(query.get("after", ["0"])[0])
            wait = min(float(query.get("wait", ["0"])[0]), 30.0)
            with entry.changed:
                if len(entry.events) <= after and wait > 0:
                    entry.changed.wait(wait)
                events = entry.events[after:]
            return 200, {
                "gateway_id": self.gateway_id,
                "next": after + len(events),
                "events": [e.model_dump(mode="json") for e in events],
            }
        return 404, {"error": f"no route {method} {path}"}


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

        def _answer(self, status: int, document: Any) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _serve(self, method: str) -> None:
            url = urlparse(self.path)
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if url.path == "/health":
                self._answer(200, {"gateway_id": gateway.gateway_id})
                return
            if not gateway.authorised(self.headers.get("authorization")):
                self._answer(401, {"error": "missing or wrong bearer token"})
                return
            try:
                status, document = gateway.route(method, url.path, parse_qs(url.query), body)
            except BrokerUnavailableError as exc:
                status, document = 503, {"error": str(exc)}
            except KeyError as exc:
                status, document = 404, {"error": str(exc)}
            except (ValidationError, ValueError) as exc:
                status, document = 400, {"error": str(exc)}
            except Exception as exc:  # a bug: keep serving, say what happened
                log.exception("gateway failed on %s %s", method, url.path)
                status, document = 500, {"error": f"{type(exc).__name__}: {exc}"}
            self._answer(status, document)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


def make_server(
    gateway: Gateway,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    certfile: Path | None = None,
    keyfile: Path | None = None,
) -> ThreadingHTTPServer:
    """Return a bound (not yet serving) HTTP server; HTTPS when certfile and keyfile are given."""
    server = ThreadingHTTPServer((host, port), _handler(gateway))
    server.daemon_threads = True
    if certfile is not None and keyfile is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    return server
