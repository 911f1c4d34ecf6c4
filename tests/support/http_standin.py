"""The HTTP side shared by the vendor STAND-INS (tushare, eastmoney): a 127.0.0.1 server, scripted faults, quotas.

A stand-in subclasses `HttpStandin` and answers `respond(method, path, query, body, fault)` with a status and
a JSON-able answer. Scripted faults for the next calls: "500" (HTTP 500), "drop" (the connection closes
without an answer, as eastmoney does to a client calling too fast) and any vendor-specific one the subclass
reads from `fault` (tushare's "ratelimit").
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit


@dataclass(kw_only=True)
class HttpStandin:
    """A vendor's HTTP API on 127.0.0.1; `seen` records every call."""

    calls_per_minute: int = 0  # the vendor's quota per key (endpoint); 0 = none
    latency_s: float = 0.0
    seen: list[dict[str, Any]] = field(default_factory=list)
    _faults: deque[str] = field(default_factory=deque)
    _calls: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, faults: Sequence[str]) -> None:
        """Answer the next calls with these faults, then normally."""
        with self._lock:
            self._faults.extend(faults)

    def next_fault(self) -> str:
        with self._lock:
            return self._faults.popleft() if self._faults else "ok"

    def over_quota(self, key: str) -> bool:
        """Count a call to `key`; True when it is over `calls_per_minute` in the last 60 s."""
        if self.calls_per_minute <= 0:
            return False
        with self._lock:
            window = self._calls.setdefault(key, deque())
            now = time.monotonic()
            while window and now - window[0] >= 60:
                window.popleft()
            if len(window) >= self.calls_per_minute:
                return True
            window.append(now)
            return False

    def respond(self, method: str, path: str, query: dict[str, str], body: bytes, fault: str) -> tuple[int, Any] | None:
        """Return the HTTP status and JSON answer of one call, None to drop the connection (the vendor's protocol)."""
        raise NotImplementedError


def _handler(standin: HttpStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read `seen`, not logs
            return

        def do_GET(self) -> None:
            self._serve("GET", b"")

        def do_POST(self) -> None:
            self._serve("POST", self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def _serve(self, method: str, body: bytes) -> None:
            fault = standin.next_fault()
            if standin.latency_s:
                time.sleep(standin.latency_s)
            if fault == "500":
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            url = urlsplit(self.path)
            query = dict(parse_qsl(url.query))
            answered = None if fault == "drop" else standin.respond(method, url.path, query, body, fault)
            if answered is None:
                self.close_connection = True
                self.connection.close()
                return
            status, answer = answered
            data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
