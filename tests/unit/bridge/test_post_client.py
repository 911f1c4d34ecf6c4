"""The bridge's HTTP/1.1 client against real sockets on 127.0.0.1: Content-Length and chunked answers,
keep-alive reuse, a server that closed an idle connection, nobody listening."""

from __future__ import annotations

import asyncio

import pytest

from alphamoe.bridge.http import DeliveryError, PostClient
from alphamoe.kv.server import free_port

CHUNKED = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
SIZED = b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\nok"


async def _serve(answers: list[bytes], *, close_after_each: bool = False) -> tuple[asyncio.Server, list[bytes]]:
    requests: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while answers:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = int(next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1])
            requests.append(head + await reader.readexactly(length))
            writer.write(answers.pop(0))
            await writer.drain()
            if close_after_each:
                break
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), requests


def _url(server: asyncio.Server) -> str:
    return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"


def test_post_when_answers_sized_then_chunked_then_both_read_on_one_connection() -> None:
    async def run() -> None:
        server, requests = await _serve([SIZED, CHUNKED])
        client = PostClient(5)
        first = await client.post(_url(server), {"ce-id": "1"}, b"{}")
        second = await client.post(_url(server), {"ce-id": "2"}, b"[1]")
        assert (first.status, first.body) == (202, b"ok")
        assert (second.status, second.body) == (200, b"abcde")
        assert len(requests) == 2 and b"ce-id: 2" in requests[1] and requests[1].endswith(b"[1]")
        await client.aclose()
        server.close()

    asyncio.run(run())


def test_post_when_server_closed_the_idle_connection_then_sends_again_on_a_new_one() -> None:
    async def run() -> None:
        server, requests = await _serve([SIZED, SIZED], close_after_each=True)
        client = PostClient(5)
        await client.post(_url(server), {}, b"a")
        await asyncio.sleep(0.05)
        answer = await client.post(_url(server), {}, b"b")
        assert answer.status == 202 and [r[-1:] for r in requests] == [b"a", b"b"]
        server.close()

    asyncio.run(run())


def test_post_when_nobody_listens_then_connect_error() -> None:
    async def run() -> None:
        with pytest.raises(DeliveryError) as caught:
            await PostClient(2).post(f"http://127.0.0.1:{free_port()}/", {}, b"")
        assert caught.value.connect is True

    asyncio.run(run())
