"""A bridge told to stop must stop, even while a function is down (its worker retries connecting forever).

On Python 3.11, `asyncio.wait_for` around the connect could swallow a cancellation arriving just as the
refused connection failed; the worker then kept retrying and `Bridge.run` never returned (seen once in CI
as a 300 s hang of `test_bridge_when_function_down_then_entry_stays_pending_not_acked`).
"""

from __future__ import annotations

import asyncio
import socket

from alphamoe.bridge.http import DeliveryError, PostClient


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_post_when_cancelled_while_nobody_listens_then_the_cancellation_always_lands() -> None:
    async def main() -> int:
        client, url = PostClient(300.0), f"http://127.0.0.1:{_closed_port()}/"

        async def retry_forever() -> None:  # as `Bridge._deliver` does while the function is down
            while True:
                try:
                    await client.post(url, {}, b"")
                except DeliveryError:
                    await asyncio.sleep(0)

        for k in range(400):  # cancel at every point of the connect's few loop iterations
            task = asyncio.create_task(retry_forever())
            for _ in range(k % 40):
                await asyncio.sleep(0)
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=1.0)
            if not done:  # the cancellation was swallowed: the task is still retrying
                while not task.done():  # cancel until one lands, so the failure reports instead of hanging
                    task.cancel()
                    await asyncio.wait({task}, timeout=0.05)
                return k
        return -1

    assert asyncio.run(main()) == -1
