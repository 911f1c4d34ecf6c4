"""The local cluster day after day ≡ the backtest (issue 15): each session of a real span fired through the
clock (market.open, wait until quiet, market.close: every hop signed with the cluster's event key) runs on
one paper account through Redis, five function processes and the bridge, and its stored end-of-day report
holds the same fills and closing equity, to the fen, as one backtest of the span on the same store.

The span is in the past, so each day runs as a trader's named day (a SIMULATION run on the paper account),
as in test_clock_report_cluster.py. Both route modes: the live default (the symbolic panel, no model) and
quant only (ALPHAMOE_ROUTE__MODE=none in the functions' environment), each against the backtest's same
`--route`. Against the other route the same week differs (3 fills only routed, 7 only quant-only, every
session's closing equity): the comparison tells the modes apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from support.clock import FakeTime, shanghai
from support.live_vs_backtest import (
    SpanRun,
    add_day,
    differences,
    run_backtest,
    sessions_between,
    write_real_store,
)

from alphamoe.bus.progress import wait_quiet
from alphamoe.clock.ledger import ClaimStatus
from alphamoe.clock.schedule import TickKind
from alphamoe.clock.wiring import build_clock, report_location
from alphamoe.report.store import ReportStore
from alphamoe.router.config import RouteSettings
from alphamoe.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.realdata, pytest.mark.slow]
START, END = date(2021, 3, 1), date(2021, 3, 5)  # the span's first week: fills from the first session


@pytest.fixture(scope="module")
def real_store(real_daily_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_real_store(real_daily_dir, tmp_path_factory.mktemp("cluster-vs-backtest-store"))


@pytest.fixture(scope="module", params=["symbolic", "none"])
def cluster_settings(
    request: pytest.FixtureRequest, real_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """A fresh cluster (and paper account) per route mode; the functions read it from ALPHAMOE_ROUTE__MODE."""
    from alphamoe.cluster.supervisor import LocalCluster

    root = tmp_path_factory.mktemp("cluster-vs-backtest")
    route = RouteSettings(mode=request.param)
    env = {"ALPHAMOE_ROUTE__MODE": route.mode}
    cluster = LocalCluster(root / "cluster", Settings(data=real_store, runs=root / "runs"), env=env)
    cluster.up(timeout_s=300)
    try:
        yield Settings(
            data=real_store,
            runs=root / "runs",
            redis_url=cluster.redis_url,
            event_key=cluster.keys.event_key,
            route=route,
        )
    finally:
        cluster.down()


def run_cluster(settings: Settings, store_root: Path, start: date, end: date) -> SpanRun:
    """Fire each session of [start, end] through the clock on the running cluster; read each day's report."""
    out = SpanRun()
    store = ReportStore.open(report_location(settings))
    for day in sessions_between(store_root, start, end):
        at = FakeTime(shanghai(day + timedelta(days=1), time(9, 26, 1)))
        clock = build_clock(settings, now=at.now)
        opened = clock.fire(TickKind.MARKET_OPEN, day=day, trigger="manual", on_demand=True)
        assert opened.status is ClaimStatus.CLAIMED and opened.run_id, opened
        wait_quiet(clock.ledger.client, timeout_s=120)
        at.set(day + timedelta(days=1), time(15, 5, 1))
        closed = clock.fire(TickKind.MARKET_CLOSE, day=day, trigger="manual", on_demand=True)
        assert closed.run_id == opened.run_id
        wait_quiet(clock.ledger.client, timeout_s=120)
        add_day(out, store.load(day, opened.run_id).day)
    return out


def test_cluster_day_by_day_when_clock_fires_each_session_then_equals_backtest(
    cluster_settings: Settings, real_store: Path
) -> None:
    cluster = run_cluster(cluster_settings, real_store, START, END)
    backtest = run_backtest(real_store, START, END, cluster_settings.route.mode)

    assert cluster.fills, "a span without a fill proves nothing"
    assert not any(differences(cluster, backtest).values()), differences(cluster, backtest)
    assert cluster.fills == backtest.fills
    assert list(cluster.equity.items()) == list(backtest.equity.items())
