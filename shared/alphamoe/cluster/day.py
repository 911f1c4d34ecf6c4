"""Run one trading day through the fabric: market.open, wait until quiet, market.close, wait, read the run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from alphamoe.bus.progress import wait_quiet
from alphamoe.bus.triggers import fabric_bus, publish_market_close, publish_market_open
from alphamoe.events.envelope import Envelope
from alphamoe.settings import Settings


@dataclass(frozen=True)
class FabricDay:
    run_id: str
    events: list[Envelope[Any]]
    seconds: float


def run_day_on_fabric(
    settings: Settings, day: date, *, run_id: str | None = None, timeout_s: float = 300.0
) -> FabricDay:
    """Drive a day through Redis, the bridge and the function processes; return every event of the run."""
    import time

    started = time.perf_counter()
    bus = fabric_bus(settings)
    opened, _ = publish_market_open(settings, day, run_id=run_id, bus=bus)
    wait_quiet(bus.client, timeout_s=timeout_s)
    publish_market_close(settings, day, run_id=opened.run_id, bus=bus)
    wait_quiet(bus.client, timeout_s=timeout_s)
    return FabricDay(opened.run_id, list(bus.run_events(opened.run_id)), time.perf_counter() - started)
