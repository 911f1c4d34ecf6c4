"""An unattended season on the local cluster, and the same sessions run in process, for the test and the benchmark.

`run_season` starts `LocalCluster(schedule=True)` with an accelerated clock (ALPHAMOE_CLOCK__ACCELERATE_*) on a
store that ends before the season, the evening update fed by the stand-in vendor (`store_vendor`), the
functions on replayed quotes of the full store (ALPHAMOE_QUOTES__SOURCE=replay), and lets the clock run the
sessions by itself; faults fire at given clock times. A monitor stamps each phase in real time from the clock
log, the account snapshots and the reports. `run_in_process` runs the same sessions with `run_day` on the final
store (bar fills, no quotes), one account carried through its snapshots.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import redis

from alphamoe.clock.config import ClockSettings
from alphamoe.clock.ledger import ClaimStatus, SessionLedger
from alphamoe.clock.schedule import TickKind, tick_at
from alphamoe.clock.wiring import report_location
from alphamoe.cluster.supervisor import LocalCluster
from alphamoe.portfolio import AccountState
from alphamoe.report.store import ReportStore
from alphamoe.router.config import RouteSettings
from alphamoe.settings import Settings
from support.live_vs_backtest import SpanRun, add_day, run_live
from support.store_vendor import StoreVendor, season_stores

ACCOUNT = "paper"
FUNCTION_ENV = {
    "ALPHAMOE_ROUTE__MODE": "none",
    "ALPHAMOE_FABRIC__CLAIM_IDLE_MS": "1500",
    "ALPHAMOE_FABRIC__MAX_ATTEMPTS": "40",
}


@dataclass(frozen=True)
class Fault:
    """Something done to the cluster once its clock reaches `at` (a function killed, Redis killed)."""

    at: datetime
    what: str
    act: Callable[[LocalCluster], None]


def kill_function(name: str) -> Callable[[LocalCluster], None]:
    def act(cluster: LocalCluster) -> None:
        os.kill(int(cluster.children[name].pid or 0), signal.SIGKILL)

    return act


def kill_redis(cluster: LocalCluster) -> None:
    assert cluster.redis is not None and cluster.redis.process is not None
    os.kill(cluster.redis.process.pid, signal.SIGKILL)


@dataclass
class SeasonRun:
    """What the cluster did: each session's report (fills, equity), the last account, phase times (real s)."""

    span: SpanRun
    account: AccountState
    phases: dict[date, dict[str, float]]
    records: dict[date, list[str]]
    faults_done: list[str]
    function_restarts: dict[str, int]
    redis_restarts: int
    vendor_failures: list[date]
    startup_s: float  # store split and `cluster up`
    seconds: float  # the whole run, cluster start and stop included


@dataclass
class _Stamps:
    """Real times (monotonic) at which the monitor first saw each step of each day."""

    seen: dict[tuple[date, str], float] = field(default_factory=dict)

    def mark(self, day: date, step: str) -> None:
        self.seen.setdefault((day, step), time.monotonic())

    def span(self, day: date, first: str, last: str) -> float:
        a, b = self.seen.get((day, first)), self.seen.get((day, last))
        return round(b - a, 3) if a is not None and b is not None else float("nan")


def season_settings(store: Path, runs: Path, first: date, seconds_per_session: float) -> Settings:
    clock = ClockSettings(
        accelerate_seconds_per_session=seconds_per_session, accelerate_start=first, data_retry_seconds=300
    )
    return Settings(data=store, runs=runs, account_id=ACCOUNT, clock=clock, route=RouteSettings(mode="none"))


def run_season(
    full: Path,
    root: Path,
    days: list[date],
    *,
    seconds_per_session: float,
    outages: dict[date, int] | None = None,
    faults: list[Fault] | None = None,
    timeout_s: float = 900.0,
) -> SeasonRun:
    """Run `days` (consecutive sessions of `full`) unattended on the local cluster; return what it did."""
    started = time.monotonic()
    store = season_stores(full, root / "store", days[0])
    settings = season_settings(store, root / "runs", days[0], seconds_per_session)
    vendor = StoreVendor(full, outages=dict(outages or {}))
    env = {**FUNCTION_ENV, "ALPHAMOE_QUOTES__SOURCE": "replay", "ALPHAMOE_QUOTES__REPLAY_STORE": str(full)}
    cluster = LocalCluster(root / "cluster", settings, env=env, schedule=True, vendor=vendor)
    cluster.up(timeout_s=300)
    startup_s = time.monotonic() - started
    stamps, done, stop = _Stamps(), list[str](), threading.Event()
    try:
        client = redis.Redis.from_url(cluster.redis_url, decode_responses=True)
        ledger = SessionLedger(client, settings.clock)
        reports = ReportStore.open(report_location(settings))
        snapshots = settings.runs_dir / "accounts" / ACCOUNT
        monitor = threading.Thread(
            target=_monitor,
            args=(cluster, ledger, days, snapshots, reports, stamps, list(faults or []), done, stop),
            daemon=True,
        )
        monitor.start()
        last = days[-1]
        deadline = time.monotonic() + timeout_s
        while (last, "data.update:end") not in stamps.seen:
            assert time.monotonic() < deadline, f"season not done in {timeout_s:g} s: {sorted(stamps.seen)[-3:]}"
            assert monitor.is_alive(), "the monitor died"
            time.sleep(0.1)
        stop.set()
        monitor.join(timeout=5)
        span = SpanRun()
        records = {d: [f"{r.event.value} {r.status.value}: {r.note}" for r in ledger.records(d)] for d in days}
        for day in days:
            opened = ledger.claimed(day, TickKind.MARKET_OPEN)
            assert opened is not None and opened.run_id is not None, f"{day} was not opened: {records[day]}"
            add_day(span, reports.load(day, opened.run_id).day)
        account = AccountState.model_validate_json((snapshots / f"{last.isoformat()}.json").read_bytes())
        phases = {
            d: {
                "update_s": stamps.span(d, "data.update", "data.update:end"),
                "open_to_orders_s": stamps.span(d, "market.open", "open:quiet"),
                "close_s": stamps.span(d, "market.close", "snapshot"),
                "report_s": stamps.span(d, "snapshot", "report"),
            }
            for d in days
        }
        restarts = {name: child.restarts for name, child in cluster.children.items()}
        return SeasonRun(
            span=span,
            account=account,
            phases=phases,
            records=records,
            faults_done=done,
            function_restarts=restarts,
            redis_restarts=cluster.redis_restarts,
            vendor_failures=list(vendor.failures),
            startup_s=startup_s,
            seconds=time.monotonic() - started,
        )
    finally:
        stop.set()
        cluster.down()


def _monitor(
    cluster: LocalCluster,
    ledger: SessionLedger,
    days: list[date],
    snapshots: Path,
    reports: ReportStore,
    stamps: _Stamps,
    faults: list[Fault],
    done: list[str],
    stop: threading.Event,
) -> None:
    # stamps each day's steps as they appear, and fires each fault once the clock reaches it
    pace = cluster.pace
    assert pace is not None, "the season needs an accelerated clock"
    ends = {ClaimStatus.READY, ClaimStatus.FAILED}
    while not stop.wait(0.02):
        now = pace.now()
        for fault in [f for f in faults if f.at <= now]:
            fault.act(cluster)
            done.append(f"{fault.what} at {fault.at:%Y-%m-%d %H:%M}")
            faults.remove(fault)
        for day in [d for d in days if d <= now.date()]:
            try:
                records = ledger.records(day)
            except redis.RedisError:
                continue  # Redis restarting
            for record in records:
                if record.status is ClaimStatus.CLAIMED:
                    stamps.mark(day, record.event.value)
                if record.event is TickKind.DATA_UPDATE and record.status in ends:
                    stamps.mark(day, "data.update:end")
            # clock time moves past the open only once the fabric went quiet after it (the clock settles)
            if (day, "market.open") in stamps.seen and now > tick_at(TickKind.MARKET_OPEN, day, ledger.cfg):
                stamps.mark(day, "open:quiet")
            if (snapshots / f"{day.isoformat()}.json").exists():
                stamps.mark(day, "snapshot")
            if reports.store.exists(f"{day.isoformat()}/end_of_day.json"):
                stamps.mark(day, "report")


def run_in_process(store: Path, runs: Path, days: list[date]) -> tuple[SpanRun, AccountState]:
    """Run `days` with `run_day` on `store`, one account carried day to day; return the span and last account."""
    span = run_live(store, runs, days[0], days[-1], route="none")
    last = runs / "accounts" / ACCOUNT / f"{days[-1].isoformat()}.json"
    return span, AccountState.model_validate_json(last.read_bytes())


def account_differences(cluster: AccountState, in_process: AccountState) -> list[str]:
    """What differs between two accounts at the same close: cash to the fen, each position's shares and cost."""
    out = []
    if cluster.cash.quantize(Decimal("0.01")) != in_process.cash.quantize(Decimal("0.01")):
        out.append(f"cash {cluster.cash} != {in_process.cash}")
    mine = {p.symbol: (p.quantity, p.sellable, p.cost.quantize(Decimal("0.01"))) for p in cluster.positions}
    theirs = {p.symbol: (p.quantity, p.sellable, p.cost.quantize(Decimal("0.01"))) for p in in_process.positions}
    if mine != theirs:
        out.append(f"positions {mine} != {theirs}")
    return out
