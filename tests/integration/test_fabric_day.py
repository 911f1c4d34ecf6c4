"""A whole day through the local cluster (real Redis, five function processes, the bridge) and its faults.

Each test runs a different day, latest first: a day's opening account is the close of the last earlier day
run in the same cluster, so going backwards keeps every day's start equal to the in-process reference's.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from support.keys import APPROVAL_SECRET

from alphamoe.bus import codec
from alphamoe.bus.progress import wait_quiet
from alphamoe.bus.redis import RedisBus, stream_of
from alphamoe.bus.replay import export_run, read_export, replay
from alphamoe.bus.triggers import publish_market_close, publish_market_open
from alphamoe.cluster.day import run_day_on_fabric
from alphamoe.cluster.supervisor import LocalCluster
from alphamoe.events import Envelope, event_type_of
from alphamoe.events import payloads as ev
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.run import run_day
from alphamoe.settings import Settings

pytestmark = pytest.mark.integration
SECRET = APPROVAL_SECRET.decode()
ORDER_TYPES = {event_type_of(m) for m in (ev.OrderProposed, ev.OrderApproved, ev.OrderRejected)}
FILL_TYPES = {event_type_of(m) for m in (ev.OrderSubmitted, ev.OrderFilled, ev.OrderCancelled, ev.OrderFailed)}


@pytest.fixture(scope="module")
def cluster(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    folder = tmp_path_factory.mktemp("cluster")
    settings = Settings(data=market_dir, runs=folder / "runs", approval_secret=SECRET)
    env = {"ALPHAMOE_FABRIC__CLAIM_IDLE_MS": "3000", "ALPHAMOE_FABRIC__BACKOFF_CAP_S": "0.5"}
    running = LocalCluster(folder, settings, env=env).up(timeout_s=120)
    try:
        yield running
    finally:
        running.down()


@pytest.fixture(scope="module")
def days(market_dir: Path) -> list[date]:
    return list(reversed(BarStore(market_dir).sessions()[-6:]))


def _fabric_settings(cluster: LocalCluster) -> Settings:
    return Settings(
        data=cluster.settings.data,
        runs=cluster.settings.runs_dir,
        redis_url=cluster.redis_url,
        approval_secret=SECRET,
        event_key=cluster.keys.event_key,  # the run tokens of market.open / market.close are signed with it
    )


def _reference(market_dir: Path, tmp: Path, day: date) -> list[Envelope[Any]]:
    settings = Settings(data=market_dir, runs=tmp, approval_secret=SECRET)
    return list(run_day(settings, day).events)


def _terms(payload: Any) -> str:
    """What a decision or fill says, without when it was signed (an approval's expiry, hence its event id)."""
    if isinstance(payload, ev.OrderApproved):
        return json.dumps({"approved": payload.order.model_dump(mode="json"), "checks": payload.checks})
    if isinstance(payload, ev.OrderRejected):
        return json.dumps(
            {"rejected": payload.order.model_dump(mode="json"), "why": [v.code for v in payload.violations]}
        )
    return str(payload.model_dump_json())


def _by_type(events: list[Envelope[Any]], types: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for e in events:
        if e.type in types:
            found.setdefault(e.type, []).append(_terms(e.payload))
    return {k: sorted(v) for k, v in found.items()}


def _assert_same_day(fabric: list[Envelope[Any]], reference: list[Envelope[Any]], *, fills: bool = True) -> None:
    types = ORDER_TYPES | (FILL_TYPES if fills else set())
    assert _by_type(fabric, types) == _by_type(reference, types)
    assert len({e.id for e in fabric}) == len(fabric), "an event was published twice"


def test_day_through_local_cluster_when_run_then_same_orders_as_in_process(
    cluster: LocalCluster, days: list[date], market_dir: Path, tmp_path: Path
) -> None:
    result = run_day_on_fabric(_fabric_settings(cluster), days[0], timeout_s=120)
    reference = _reference(market_dir, tmp_path, days[0])
    assert any(e.type == event_type_of(ev.OrderFilled) for e in result.events)
    _assert_same_day(result.events, reference)
    assert result.run_id == reference[0].run_id  # the same deterministic run id: same event ids


def test_replay_when_exported_run_replayed_then_same_orders(
    cluster: LocalCluster, days: list[date], tmp_path: Path
) -> None:
    bus = RedisBus.from_url(cluster.redis_url)
    original = next(r for r, d in bus.runs().items() if d == days[0].isoformat())
    path = tmp_path / "run.jsonl"
    assert export_run(bus, original, path) == len(bus.run_entries(original))
    events = replay(
        bus, read_export(path), "replayed-1", key=cluster.keys.event_key.encode(), until="order.approved", timeout_s=120
    )
    assert {e.run_id for e in events} == {"replayed-1"}
    assert not any(e.type == event_type_of(ev.MarketClose) for e in events)  # --until stopped before the close
    proposals = {event_type_of(ev.OrderProposed), event_type_of(ev.OrderApproved)}
    assert _by_type(events, proposals) == _by_type(bus.run_events(original), proposals)


@pytest.mark.slow
def test_function_when_killed_mid_event_then_redelivered_after_restart_and_handled_once(
    cluster: LocalCluster, days: list[date], market_dir: Path, tmp_path: Path
) -> None:
    settings = _fabric_settings(cluster)
    scan = cluster.children["scan"]
    log_size = scan.log_path.stat().st_size
    opened, _ = publish_market_open(settings, days[1])
    deadline = time.monotonic() + 30
    while opened.id not in scan.log_path.read_text(errors="replace")[log_size:]:  # scan is handling it now
        assert time.monotonic() < deadline, "scan never started on market.open"
        time.sleep(0.01)
    os.kill(int(scan.pid or 0), signal.SIGKILL)
    client = redis.Redis.from_url(cluster.redis_url, decode_responses=True)
    wait_quiet(client, timeout_s=120)
    publish_market_close(settings, days[1], run_id=opened.run_id)
    wait_quiet(client, timeout_s=120)
    assert scan.restarts >= 1
    events = RedisBus(client).run_events(opened.run_id)
    _assert_same_day(events, _reference(market_dir, tmp_path, days[1]))
    handled = [json.loads(line) for line in scan.log_path.read_text().splitlines() if line.startswith("{")]
    assert any(h["msg"].startswith("handled") and h["event_id"] == opened.id for h in handled)


def test_redis_when_restarted_mid_day_then_day_completes_without_lost_or_duplicated_orders(
    cluster: LocalCluster, days: list[date], market_dir: Path, tmp_path: Path
) -> None:
    assert cluster.redis is not None
    settings = _fabric_settings(cluster)
    client = redis.Redis.from_url(cluster.redis_url, decode_responses=True)
    opened, _ = publish_market_open(settings, days[2])
    deadline = time.monotonic() + 60
    while not client.exists(stream_of(event_type_of(ev.SignalRouted))) or not any(
        json.loads(f["headers"]).get("ce-runid") == opened.run_id
        for _, f in client.xrevrange(stream_of(event_type_of(ev.SignalRouted)), count=5)
    ):
        assert time.monotonic() < deadline, "the day never reached route"
        time.sleep(0.005)
    cluster.redis.restart()  # SIGTERM: the AOF is flushed, as on a planned node drain
    wait_quiet(client, timeout_s=120)
    publish_market_close(settings, days[2], run_id=opened.run_id)
    wait_quiet(client, timeout_s=120)
    events = RedisBus(client).run_events(opened.run_id)
    _assert_same_day(events, _reference(market_dir, tmp_path, days[2]))


def test_bridge_when_entry_malformed_then_function_400_and_dead_lettered_with_reason(cluster: LocalCluster) -> None:
    bus = RedisBus.from_url(cluster.redis_url)
    before = len(bus.dead_letters())
    event = publish_market_open(_fabric_settings(cluster), date(2025, 3, 31), run_id="malformed-1", bus=bus)[0]
    fields = codec.encode(event)
    headers = json.loads(fields["headers"])
    del headers["ce-runid"]
    fields.update(headers=json.dumps(headers), id="malformed-entry")
    bus.client.xadd(stream_of(event_type_of(ev.SignalGenerated)), fields)
    wait_quiet(bus.client, timeout_s=60)
    letters = bus.dead_letters()[before:]
    bad = [d for d in letters if d.raw.get("fields", {}).get("id") == "malformed-entry"]
    assert len(bad) == 1 and bad[0].source == "bridge"
    assert "400" in bad[0].reason and "runid" in bad[0].reason


def test_dead_letters_when_outsiders_post_junk_then_none_parked_and_the_real_ones_kept(cluster: LocalCluster) -> None:
    bus = RedisBus.from_url(cluster.redis_url)
    real = bus.park("execute answered 422: a real dead letter", {"fields": {"id": "real-letter"}}, source="bridge")
    before = [d.entry_id for d in bus.dead_letters()]
    junk = [b"{" + b" " * (512 << 10) + b"}", b"[1]", b"not json", b'{"id": "1"}']
    for name in ("scan", "risk", "execute"):
        url = str(cluster.children[name].url)
        for body in junk * 5:  # the old guard parked each of these, whole
            answer = httpx.post(url, content=body, headers={"content-type": "application/cloudevents+json"}, timeout=30)
            assert answer.status_code == 401
    after = [d.entry_id for d in bus.dead_letters()]
    assert after == before and real in after


def test_cli_cluster_status_when_json_then_each_function_url_pid_and_health(cluster: LocalCluster) -> None:
    from typer.testing import CliRunner

    from alphamoe.cli.app import app

    result = CliRunner().invoke(app, ["cluster", "status", "--json", "--dir", str(cluster.directory)])
    assert result.exit_code == 0, result.output
    state = json.loads(result.output)
    for name in ("scan", "route", "size", "risk", "execute"):
        child = state["children"][name]
        assert child["url"].startswith("http://127.0.0.1:") and child["pid"] and child["ready"] is True
    assert state["children"]["bridge"]["alive"] is True


def test_cli_status_when_json_then_groups_dead_letters_and_the_days_orders(
    cluster: LocalCluster, days: list[date]
) -> None:
    from typer.testing import CliRunner

    from alphamoe.cli.app import app

    args = ["status", "--json", "--dir", str(cluster.directory), "--date", days[0].isoformat()]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert all(g["lag"] == 0 and g["pending"] == 0 for g in status["groups"])
    assert {g["group"] for g in status["groups"]} == {"scan", "route", "size", "risk", "execute"}
    assert any(o["type"] == event_type_of(ev.OrderFilled) for o in status["orders"])
    assert any("runid" in d["reason"] for d in status["dead_letters"])
