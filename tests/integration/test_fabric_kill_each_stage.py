"""A day through the local cluster while each function is SIGKILLed mid-day: the same orders and fills as unkilled.

One day, five kills, in the order the day reaches them: scan while it handles market.open, route on a signal,
size on a routed signal, risk on a proposal, and execute once it has sent an order (the in-process paper
broker dies with it; the journal rebuilds it). The supervisor restarts each one, the bridge redelivers what
it had not acknowledged, and the day's order.* events must equal an in-process run of the same day.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis
from support.keys import APPROVAL_SECRET, EVENT_KEY

from alphamoe.bus.progress import wait_quiet
from alphamoe.bus.redis import RedisBus
from alphamoe.bus.triggers import publish_market_close, publish_market_open
from alphamoe.cluster.supervisor import Child, LocalCluster
from alphamoe.events import Envelope, event_type_of
from alphamoe.events import payloads as ev
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.run import run_day
from alphamoe.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ORDER_MODELS = (ev.OrderProposed, ev.OrderApproved, ev.OrderRejected, ev.OrderSubmitted, ev.OrderFilled,
                ev.OrderCancelled, ev.OrderFailed)  # fmt: skip
ORDER_TYPES = {event_type_of(m) for m in ORDER_MODELS}
Line = dict[str, Any]


def handling(event_type: type[ev.Payload]) -> Callable[[Line], bool]:
    return lambda line: line["msg"] == f"handling {event_type_of(event_type)}"


def handled(line: Line) -> bool:
    return str(line["msg"]).startswith("handled:")  # execute answers 0 outputs: its publisher sends them


KILLS: list[tuple[str, Callable[[Line], bool]]] = [
    ("scan", handling(ev.MarketOpen)),
    ("route", handling(ev.SignalGenerated)),
    ("size", handling(ev.SignalRouted)),
    ("risk", handling(ev.OrderProposed)),
    ("execute", handled),  # an order sent and journaled: the paper counter dies with fills in it
]


def settings(data: Path, runs: Path, redis_url: str | None = None) -> Settings:
    return Settings(
        data=data,
        runs=runs,
        redis_url=redis_url,
        approval_secret=APPROVAL_SECRET.decode(),
        event_key=EVENT_KEY.decode(),
    )


def kill_when(child: Child, run_id: str, since: int, matches: Callable[[Line], bool], timeout_s: float = 60) -> None:
    """SIGKILL `child` as soon as its log (after byte `since`) shows a line of `run_id` that `matches`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with child.log_path.open("rb") as log:
            log.seek(since)
            lines = [json.loads(raw) for raw in log.read().splitlines() if raw.startswith(b"{")]
        if any(line.get("run_id") == run_id and matches(line) for line in lines):
            os.kill(int(child.pid or 0), signal.SIGKILL)
            return
        time.sleep(0.005)
    raise AssertionError(f"{child.name} never reached its kill point in run {run_id}")


def by_type(events: list[Envelope[Any]]) -> dict[str, list[str]]:
    """The day's order.* payloads by type; an approval without its expiry (and so signature): risk's clock."""
    found: dict[str, list[str]] = {}
    for e in events:
        if e.type in ORDER_TYPES:
            found.setdefault(e.type, []).append(e.payload.model_dump_json(exclude={"expires_at", "signature"}))
    return {k: sorted(v) for k, v in found.items()}


def test_day_when_each_function_killed_mid_day_then_same_orders_and_fills_as_unkilled(
    market_dir: Path, tmp_path: Path
) -> None:
    day: date = BarStore(market_dir).sessions()[-1]
    reference = list(run_day(settings(market_dir, tmp_path / "reference"), day).events)
    assert any(e.type == event_type_of(ev.OrderFilled) for e in reference), "the day must trade"

    env = {"ALPHAMOE_FABRIC__CLAIM_IDLE_MS": "1500", "ALPHAMOE_FABRIC__BACKOFF_CAP_S": "0.5"}
    cluster = LocalCluster(tmp_path / "cluster", settings(market_dir, tmp_path / "runs"), env=env).up(timeout_s=120)
    try:
        fabric = settings(market_dir, tmp_path / "runs", cluster.redis_url)
        marks = {name: cluster.children[name].log_path.stat().st_size for name, _ in KILLS}
        opened, _ = publish_market_open(fabric, day)
        for name, point in KILLS:
            kill_when(cluster.children[name], opened.run_id, marks[name], point)
        client = redis.Redis.from_url(cluster.redis_url, decode_responses=True)
        wait_quiet(client, timeout_s=120)
        publish_market_close(fabric, day, run_id=opened.run_id)
        wait_quiet(client, timeout_s=120)
        assert {name: cluster.children[name].restarts >= 1 for name, _ in KILLS} == dict.fromkeys(marks, True)
        events = list(RedisBus(client).run_events(opened.run_id))
        assert len({e.id for e in events}) == len(events), "an event was published twice"
        assert by_type(events) == by_type(reference)
    finally:
        cluster.down()
