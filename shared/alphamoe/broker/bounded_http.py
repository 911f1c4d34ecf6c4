"""A bounded HTTP/1.1 server: what one peer of the TAL gateway can cost it.

`http.server` trusts its clients: a thread per connection without limit, no timeout on a half-sent request,
a body read to whatever length it declares, and (wrapped in TLS) the handshake inside the accept loop,
where one silent client stops every other. Here each is bounded: at most `max_connections` connection
threads (the next waits `queue_timeout_s`, then gets a 503); a request's line, headers and body must
all arrive within `request_timeout_s` of the connection waiting for it (a client that trickles a byte at a
time is cut off as surely as one that stops); the handshake runs in the connection's own thread under
that timeout; a body is read only after `admit` accepted its declared length, and a request answered
without reading its body closes the connection (its bytes must not be parsed as the next request).
"""

from __future__ import annotations

import io
import ipaddress
import json
import logging
import math
import socket
import ssl
import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.errors import AlphamoeError, ConfigurationError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

log = logging.getLogger("alphamoe.broker.http")

ECHO_CHARS = 200  # at most this much of a client's input is echoed in an error
LINGER_S, LINGER_BYTES = 0.5, 64 * 1024  # after an early answer: let the client read it before the close
_MAX_LENGTH_DIGITS = 18  # a longer content-length is over any limit (and int() of 5,000 digits refuses)


class HttpLimits(BaseModel):
    """What one request and one peer may cost the server."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    max_body_bytes: int = Field(1 << 20, gt=0, description="a larger declared body is refused (413) unread")
    request_timeout_s: float = Field(
        10.0,
        gt=0,
        description="a request must arrive whole within this; an idle keep-alive connection is closed after it "
        "(keep it above the remote adapter's 5 s keep-alive expiry)",
    )
    max_connections: int = Field(32, gt=0, description="connections served at once, one thread each")
    queue_timeout_s: float = Field(1.0, ge=0, description="how long a connection beyond the bound waits: then 503")


class RequestRefusedError(AlphamoeError):
    """The request is answered with `status` and not served; `field` names what was wrong, when one thing was."""

    def __init__(self, status: int, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.field = status, field


def excerpt(text: str, limit: int = ECHO_CHARS) -> str:
    """`text` cut to `limit` characters: a client's input echoed in an error stays small."""
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"  # ASCII: fits a status line


def declared_length(method: str, headers: Message, limit: int) -> int:
    """The body length the headers declare, checked before a byte of it is read.

    Chunked bodies are not supported (411), a POST must declare its length (411), a GET without one has none;
    a length that is not a plain decimal (`-1`, `1e3`, two that differ) is a 400, one over `limit` a 413.
    """
    if headers.get("transfer-encoding") is not None:
        raise RequestRefusedError(
            411, "transfer-encoding is not supported: send content-length", field="content-length"
        )
    values = {v.strip() for v in headers.get_all("content-length") or []}
    if not values:
        if method == "GET":
            return 0
        raise RequestRefusedError(411, f"{method} needs a content-length", field="content-length")
    if len(values) > 1:
        raise RequestRefusedError(400, "conflicting content-length headers", field="content-length")
    value = values.pop()
    if not (value.isascii() and value.isdigit()):
        raise RequestRefusedError(
            400, f"content-length {excerpt(value)!r} is not a non-negative integer", field="content-length"
        )
    length = int(value) if len(value) <= _MAX_LENGTH_DIGITS else math.inf
    if length > limit:
        raise RequestRefusedError(413, f"a body of {value} bytes is over the limit of {limit}", field="content-length")
    return int(length)


def tls_context(certfile: Path | None, keyfile: Path | None) -> ssl.SSLContext | None:
    """The server's TLS context, or None for plain HTTP; a certificate without its key (or a key alone) is refused."""
    if certfile is None and keyfile is None:
        return None
    if certfile is None or keyfile is None:
        given, missing = ("certificate", "_KEY") if keyfile is None else ("key", "_CERT")
        raise ConfigurationError(f"a TLS {given} without its pair: set ALPHAMOE_BROKER__TLS{missing} too, or neither")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(f"cannot load the TLS certificate {certfile} with key {keyfile}: {exc}") from None
    return context


def is_loopback(host: str) -> bool:
    """True when `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


class _DeadlineReader(io.RawIOBase):
    # Every read of one request shares one deadline: a per-read timeout alone never ends a client that
    # sends a byte just before each timeout.
    def __init__(self, connection: socket.socket, timeout: float) -> None:
        self._connection, self._timeout = connection, timeout
        self.deadline = math.inf

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive in time")
        self._connection.settimeout(min(remaining, self._timeout))
        try:
            return self._connection.recv_into(buffer)
        finally:
            self._connection.settimeout(self._timeout)  # writes keep the plain per-operation timeout


class BoundedHandler(BaseHTTPRequestHandler):
    """A JSON request handler whose reads are bounded: subclasses check headers in `admit`, answer in `respond`."""

    protocol_version = "HTTP/1.1"
    _reader: _DeadlineReader
    _unread = True  # the current request's body is not consumed: its bytes must not start the next request

    @property
    def limits(self) -> HttpLimits:
        return cast(BoundedHTTPServer, self.server).limits

    def setup(self) -> None:
        self.request.settimeout(self.limits.request_timeout_s)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()  # here, not in the accept loop, and under the timeout
        super().setup()
        self.rfile.close()  # replaced by a reader with a deadline per request
        self._reader = _DeadlineReader(self.connection, self.limits.request_timeout_s)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._reader.deadline = time.monotonic() + self.limits.request_timeout_s
        self._unread = True
        super().handle_one_request()

    def handle_expect_100(self) -> bool:
        # refuse before inviting the body, not after it was sent
        try:
            self.admit()
        except RequestRefusedError as exc:
            self.refuse(exc)
            return False
        return super().handle_expect_100()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def respond(self, body: bytes) -> tuple[int, Any]:
        """Answer the admitted request `self.command self.path` with `body`: (HTTP status, JSON document)."""
        raise NotImplementedError

    def admit(self) -> int:
        """Check what the headers alone can show; return the body's declared length or raise RequestRefusedError."""
        return declared_length(self.command, self.headers, self.limits.max_body_bytes)

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        try:
            status, document = self.respond(body)
        except RequestRefusedError as exc:
            self.refuse(exc)
            return
        self.answer(status, document)

    def _read_body(self) -> bytes | None:
        # the admitted body, or None when the request was refused (and answered) or the client left
        try:
            length = self.admit()
        except RequestRefusedError as exc:
            self.refuse(exc)
            return None
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client closed mid-body
            self.close_connection = True
            return None
        self._unread = False
        return body

    def refuse(self, exc: RequestRefusedError) -> None:
        document = {"error": str(exc)} | ({"field": exc.field} if exc.field else {})
        self.answer(exc.status, document)

    def answer(self, status: int, document: Any) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        if self._unread:
            self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(body)
        if self._unread:
            self._linger()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own errors (bad request line, too many headers) echo the input: cut it
        super().send_error(code, excerpt(message) if message else None, explain)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    def _linger(self) -> None:
        # Closing a socket with unread bytes sends a reset, which can destroy the answer before the client
        # reads it. Half-close, then discard what is already on its way, boundedly.
        self.close_connection = True
        self._reader.deadline = time.monotonic() + LINGER_S
        try:
            self.connection.shutdown(socket.SHUT_WR)
            drained = 0
            while drained < LINGER_BYTES and (chunk := self.rfile.read1(LINGER_BYTES)):
                drained += len(chunk)
        except OSError:
            pass


class BoundedHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server with a bound on its threads, HTTPS when given a TLS context."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BoundedHandler],
        limits: HttpLimits,
        tls: ssl.SSLContext | None,
    ) -> None:
        super().__init__(address, handler)
        self.limits, self.tls = limits, tls
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(timeout=self.limits.queue_timeout_s):
            self._busy(request, client_address)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a peer that reset, timed out or failed the handshake: its connection ends, the server goes on
        log.debug("connection from %s ended with an error", client_address, exc_info=True)

    def _busy(self, request: socket.socket, client_address: Any) -> None:
        log.warning("%d connections open: %s refused (503)", self.limits.max_connections, client_address)
        if self.tls is None:  # a TLS peer would need a handshake here, in the accept loop: just close
            body = json.dumps({"error": f"the gateway serves {self.limits.max_connections} connections at once"})
            head = f"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {len(body)}"
            try:
                request.settimeout(0.5)
                request.sendall(f"{head}\r\nconnection: close\r\n\r\n{body}".encode())
            except OSError:
                pass
        self.shutdown_request(request)
