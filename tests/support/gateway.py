"""A real TAL gateway on 127.0.0.1 for tests, a raw HTTP/1.1 exchange for the requests no client library
sends (a negative content-length, a body declared and never sent), and a self-signed certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alphamoe.broker.bounded_http import HttpLimits
from alphamoe.broker.gateway import BrokerFactory, Gateway, make_server
from support.keys import GATEWAY_TOKEN


@contextmanager
def serving(
    factory: BrokerFactory,
    *,
    limits: HttpLimits | None = None,
    certfile: Path | None = None,
    keyfile: Path | None = None,
) -> Iterator[int]:
    """Serve a gateway (token GATEWAY_TOKEN) over `factory` on 127.0.0.1; yield its port."""
    server = make_server(Gateway(factory, GATEWAY_TOKEN), certfile=certfile, keyfile=keyfile, limits=limits)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class RawAnswer:
    """What came back: `status` None when no whole answer came within the timeout."""

    status: int | None
    headers: dict[str, str]
    body: bytes
    seconds: float
    closed: bool  # the gateway closed the connection after answering

    def json(self) -> Any:
        return json.loads(self.body)


def exchange(port: int, head: str, body: bytes = b"", *, timeout: float = 5.0) -> RawAnswer:
    """Send `head` (request line and headers, one a line, no blank line) and `body` as given; read the answer."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(head.strip().replace("\n", "\r\n").encode() + b"\r\n\r\n" + body)
        received = b""
        try:
            while (answer := _parse(received)) is None:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received += chunk
        except (TimeoutError, ConnectionResetError):
            answer = None
        seconds = time.monotonic() - started
        if answer is None:
            return RawAnswer(None, {}, received, seconds, closed=False)
        status, headers, content = answer
        return RawAnswer(status, headers, content, seconds, closed=closed_within(conn, 1.0))


def closed_within(conn: socket.socket, seconds: float) -> bool:
    """True when the peer closes `conn` (end of stream or reset) within `seconds`."""
    conn.settimeout(seconds)
    try:
        return conn.recv(65536) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def _parse(received: bytes) -> tuple[int, dict[str, str], bytes] | None:
    if b"\r\n\r\n" not in received:
        return None
    head, _, rest = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    length = int(headers.get("content-length", "0"))
    if len(rest) < length:
        return None
    return int(status_line.split()[1]), headers, rest[:length]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """Write a certificate for 127.0.0.1 and its key under `folder`; return (certificate, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
