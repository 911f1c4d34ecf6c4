"""`alphamoe alerts run` as its own process beside a publishing producer: what the no-slowdown test and
benchmarks/bench_alerts.py time. The process can be paused (SIGSTOP) and resumed, so one run compares the
producer alone, beside a watcher sending to a working service, and beside one sending into a black hole.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import redis

from alphamoe.alerts.watch import cursor_key
from alphamoe.bus.redis import RedisBus, stream_of
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import OrderFilled, event_type_of
from alphamoe.types import OrderStatus, Side

FILLS = stream_of(event_type_of(OrderFilled))
WECOM_KEY = "k-load-0001"


def fill(n: int, symbol: str = "600519.SH", day: date = date(2025, 3, 31)) -> OrderFilled:
    return OrderFilled(
        trading_day=day,
        order_id=f"o-{n}",
        client_order_id=f"c-{n}",
        account_id="paper",
        symbol=symbol,
        side=Side.BUY,
        status=OrderStatus.FILLED,
        fill_quantity=100,
        fill_price=Decimal("1700.00"),
        fees=Decimal("5.10"),
        cumulative_quantity=100,
    )


def publish_fills(bus: RedisBus, start: int, count: int) -> float:
    """Publish `count` fills one by one, as execute does; return the seconds it took."""
    started = time.perf_counter()
    for n in range(start, start + count):
        bus.publish(build_event(fill(n), run_id="load", source="/execute"))
    return time.perf_counter() - started


def wecom_env(base_url: str, *, timeout_s: float = 1.0) -> dict[str, str]:
    """Settings of a watcher that sends fills at once (at the robot's 20 a minute) to the WeCom robot at `base_url`."""
    return {
        "ALPHAMOE_ALERTS__WECOM__ENABLED": "true",
        "ALPHAMOE_ALERTS__WECOM__KEY": WECOM_KEY,
        "ALPHAMOE_ALERTS__WECOM__BASE_URL": base_url,
        "ALPHAMOE_ALERTS__WECOM__BATCH_SECONDS": "0",
        "ALPHAMOE_ALERTS__WECOM__TIMEOUT_S": str(timeout_s),
    }


class AlertsProcess:
    """One `alphamoe alerts run` with its own instance name (its own cursors) and the given channel settings."""

    def __init__(self, redis_url: str, folder: Path, instance: str, channels: Mapping[str, str]) -> None:
        self.instance = instance
        env = {
            **os.environ,
            **channels,
            "ALPHAMOE_REDIS_URL": redis_url,
            "ALPHAMOE_DATA": str(folder / "market"),
            "ALPHAMOE_RUNS": str(folder / "runs"),
            "ALPHAMOE_ALERTS__INSTANCE": instance,
            "ALPHAMOE_ALERTS__BLOCK_MS": "50",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alphamoe.cli", "alerts", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, client: redis.Redis, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not client.exists(cursor_key(self.instance)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"alerts run did not start: {self.output()}")
            time.sleep(0.05)

    def caught_up(self, client: redis.Redis) -> bool:
        last: list[tuple[str, dict[str, str]]] = client.xrevrange(FILLS, count=1)  # type: ignore[assignment]
        return bool(last) and client.hget(cursor_key(self.instance), FILLS) == last[0][0]

    def wait_caught_up(self, client: redis.Redis, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.caught_up(client):
            if time.monotonic() > deadline:
                raise RuntimeError(f"alerts run {self.instance} did not catch up within {timeout_s} s")
            time.sleep(0.01)

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM: it drains for up to 5 s); `output` waits for it."""
        if self.process.poll() is None:
            self.resume()
            self.process.terminate()

    def output(self) -> str:
        """Wait for it to end and return what it printed."""
        self.terminate()
        out, _ = self.process.communicate(timeout=60)
        return out.decode("utf-8", "replace")
