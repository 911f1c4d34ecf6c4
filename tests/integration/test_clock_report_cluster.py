"""A real local-cluster day driven by the clock: Redis, five func-python servers, the bridge; then the report.

The clock fires market.open at 09:26 and market.close at 15:05 (an injected clock, no waiting); the report
written at the close must hold the day the functions produced, from the Redis Streams alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from support.clock import FakeTime, shanghai
from support.paths import REAL_DATA
from typer.testing import CliRunner

from alphamoe.bus.progress import wait_quiet
from alphamoe.clock.config import ClockSettings
from alphamoe.clock.ledger import ClaimStatus
from alphamoe.clock.schedule import TickKind
from alphamoe.clock.wiring import build_clock, report_location
from alphamoe.events.payloads import SignalGenerated
from alphamoe.market.bars import BarStore
from alphamoe.report.store import ReportStore
from alphamoe.settings import Settings

pytestmark = pytest.mark.integration
CSI300 = REAL_DATA / "index" / "sh000300.csv"


@pytest.fixture(scope="module")
def cluster_settings(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from alphamoe.cluster.supervisor import LocalCluster

    root = tmp_path_factory.mktemp("clock-cluster")
    clock = ClockSettings(benchmark_csv=CSI300 if CSI300.is_file() else None)
    settings = Settings(data=market_dir, runs=root / "runs", clock=clock)
    cluster = LocalCluster(root / "cluster", settings).up(timeout_s=300)
    try:
        yield Settings(
            data=market_dir,
            runs=root / "runs",
            clock=clock,
            redis_url=cluster.redis_url,
            event_key=cluster.keys.event_key,
        )
    finally:
        cluster.down()


@pytest.fixture(scope="module")
def day(market_dir: Path) -> date:
    return BarStore(market_dir).sessions()[-1]


@pytest.fixture(scope="module")
def closed_day(cluster_settings: Settings, day: date) -> tuple[Settings, date, str]:
    # The test market ends in the past: the day runs through the clock as a trader's named day (a SIMULATION
    # run; the cluster's risk, on the real clock, refuses a SESSION run of a day that is not today's session).
    at = FakeTime(shanghai(day + timedelta(days=1), time(9, 26, 1)))
    clock = build_clock(cluster_settings, now=at.now)
    opened = clock.fire(TickKind.MARKET_OPEN, day=day, trigger="manual", on_demand=True)
    assert opened.status is ClaimStatus.CLAIMED and opened.run_id
    wait_quiet(clock.ledger.client, timeout_s=300)
    at.set(day + timedelta(days=1), time(15, 5, 1))
    closed = clock.fire(TickKind.MARKET_CLOSE, day=day, trigger="manual", on_demand=True)  # the hook writes the report
    assert closed.run_id == opened.run_id
    return cluster_settings, day, opened.run_id


def test_cluster_day_when_clock_closes_it_then_report_has_the_whole_day(closed_day: tuple[Settings, date, str]) -> None:
    settings, day, run_id = closed_day
    store = ReportStore.open(report_location(settings))
    report = store.load(day)
    assert (report.trading_day, report.run_id, report.source) == (day, run_id, "Redis Streams")
    assert [(c.event, c.status) for c in report.clock] == [
        (TickKind.MARKET_OPEN, ClaimStatus.CLAIMED),
        (TickKind.MARKET_CLOSE, ClaimStatus.CLAIMED),
    ]
    from alphamoe.bus.triggers import fabric_bus

    events = fabric_bus(settings).run_events(run_id)
    signals = [e for e in events if isinstance(e.payload, SignalGenerated)]
    assert len(report.verdicts) == len(signals) > 0
    assert all(v.verdict is not None and v.experts for v in report.verdicts)  # every signal routed, with reasons
    assert report.day.orders and report.day.equity == report.performance.closing_equity
    assert report.performance.pnl == report.performance.closing_equity - report.performance.opening_equity
    if CSI300.is_file():
        assert report.performance.benchmark_return is not None
    latency = {s.stage: s for s in report.latency}
    assert set(latency) == {"scan", "route", "size", "risk", "execute"}
    assert all(latency[s].inputs > 0 and latency[s].outputs > 0 for s in latency)
    assert latency["scan"].ms > 0
    page = Path(store.where(day)).read_text(encoding="utf-8")
    assert f"end of day {day}" in page and "Latency by stage" in page


def test_cluster_day_when_market_open_fired_again_then_ignored(closed_day: tuple[Settings, date, str]) -> None:
    settings, day, run_id = closed_day
    at = FakeTime(shanghai(day, time(9, 30)))
    record = build_clock(settings, now=at.now, report=False).fire(TickKind.MARKET_OPEN, trigger="cronjob")
    assert (record.status, record.run_id) == (ClaimStatus.DUPLICATE, run_id)


def test_report_cli_when_json_then_prints_the_stored_report(
    closed_day: tuple[Settings, date, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from alphamoe.cli.app import app

    settings, day, run_id = closed_day
    monkeypatch.setenv("ALPHAMOE_RUNS", str(settings.runs_dir))
    monkeypatch.setenv("ALPHAMOE_DATA", str(settings.data))
    result = CliRunner().invoke(app, ["report", "--date", day.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["run_id"] == run_id and document["verdicts"]
    shown = CliRunner().invoke(app, ["report", "--date", day.isoformat()])
    assert shown.exit_code == 0 and "end of day" in shown.output and "report:" in shown.output
