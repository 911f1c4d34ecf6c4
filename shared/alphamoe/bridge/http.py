"""A lean HTTP/1.1 POST client on asyncio streams, with keep-alive connections per function.

The bridge's only HTTP need is POST-and-read-the-status to 127.0.0.1 or an in-cluster Service; general
clients spend milliseconds of CPU per request on features it does not use, which caps a hop's latency and
the bridge's throughput. Responses are read fully (Content-Length or chunked) so the connection is reusable.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit


class DeliveryError(Exception):
    """The request could not be sent or the answer not read; `connect` tells whether anyone was listening."""

    def __init__(self, message: str, *, connect: bool) -> None:
        super().__init__(message)
        self.connect = connect


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class PostClient:
    """POST to absolute http:// URLs, reusing idle connections per (host, port)."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._idle: dict[tuple[str, int], list[_Conn]] = defaultdict(list)

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise DeliveryError(f"only http:// URLs are supported, was {url!r}", connect=False)
        key = (parts.hostname, parts.port or 80)
        lines = [f"POST {parts.path or '/'} HTTP/1.1", f"host: {parts.netloc}", f"content-length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("host", "content-length")]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        reused = bool(self._idle[key])
        conn = self._idle[key].pop() if reused else await self._connect(key)
        try:
            async with asyncio.timeout(self.timeout_s):  # no extra task per request, unlike wait_for
                answer, keep = await self._exchange(conn, request)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            conn[1].close()
            if reused:  # the server had closed this idle connection: send again on another one
                return await self.post(url, headers, body)
            raise DeliveryError(f"{type(exc).__name__}: {exc}", connect=False) from exc
        if keep:
            self._idle[key].append(conn)
        else:
            conn[1].close()
        return answer

    async def _connect(self, key: tuple[str, int]) -> _Conn:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives as the
        # connection attempt fails, and a bridge stopping while a function is down then retries forever
        try:
            async with asyncio.timeout(self.timeout_s):
                return await asyncio.open_connection(*key)
        except (TimeoutError, OSError) as exc:
            raise DeliveryError(f"cannot connect to {key[0]}:{key[1]}: {exc}", connect=True) from exc

    @staticmethod
    async def _exchange(conn: _Conn, request: bytes) -> tuple[Answer, bool]:
        reader, writer = conn
        writer.write(request)
        await writer.drain()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
        if "content-length" in fields:
            body = await reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                body += await reader.readexactly(size)
                await reader.readexactly(2)
            await reader.readuntil(b"\r\n")
        else:  # read to close
            return Answer(status, await reader.read()), False
        persistent = fields.get("connection", "").lower()
        keep = persistent == "keep-alive" if head[0].startswith("HTTP/1.0") else persistent != "close"
        return Answer(status, body), keep

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for _, writer in conns:
                writer.close()
        self._idle.clear()
