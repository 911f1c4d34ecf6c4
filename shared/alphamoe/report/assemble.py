"""Assemble an end-of-day report from a finished run: an in-process day, or a day on Redis Streams."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from alphamoe.bus import codec
from alphamoe.bus.redis import RedisBus, run_log
from alphamoe.clock.ledger import ClockRecord
from alphamoe.errors import DataError
from alphamoe.events.envelope import Envelope
from alphamoe.market.calendar import TradingCalendar
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.run import DayRun
from alphamoe.portfolio import AccountState
from alphamoe.report.benchmark import Benchmark, load_benchmark
from alphamoe.report.day import build_report, opening_actions
from alphamoe.report.endofday import EndOfDayReport, build_end_of_day
from alphamoe.report.latency import in_process_latency, stream_latency
from alphamoe.settings import Settings


def account_book(settings: Settings) -> AccountBook:
    """Return the account's snapshots with the store's corporate actions, as `pipeline.factory` builds them, so
    an opening here is the one execute traded from."""
    from alphamoe.market.bars import BarStore

    return AccountBook(
        settings.runs_dir / "accounts", settings.account_id, settings.initial_cash, actions=BarStore(settings.data)
    )


def benchmark_of(settings: Settings) -> Benchmark | None:
    csv = settings.clock.benchmark_csv
    return load_benchmark(csv, settings.clock.benchmark_name) if csv is not None else None


def from_day_run(settings: Settings, run: DayRun, clock: list[ClockRecord] | None = None) -> EndOfDayReport:
    """Return the end-of-day report of an in-process run (`alphamoe run`, `run_day`)."""
    day = run.report.trading_day
    return build_end_of_day(
        run.report,
        run.events,
        opening=account_book(settings).opening_state(day),
        latency=in_process_latency(run.report.stage_ms, run.events),
        source="in-process",
        benchmark=benchmark_of(settings),
        clock=clock or [],
    )


def timed_run_events(bus: RedisBus, run_id: str) -> list[tuple[float, Envelope[Any]]]:
    """Return the run's events with their stream entry times (epoch ms), in publication order."""
    timed: list[tuple[float, Envelope[Any]]] = []
    start = "-"
    while True:
        rows = cast(list[tuple[str, dict[str, str]]], bus.client.xrange(run_log(run_id), min=start, count=1000))
        timed += [(float(entry.split("-")[0]), codec.decode(fields)) for entry, fields in rows]
        if len(rows) < 1000:
            return timed
        start = "(" + rows[-1][0]


def closing_state(settings: Settings, day: date) -> AccountState:
    """Return execute's snapshot at the close of `day` (written when it handled market.close)."""
    path = account_book(settings).dir / f"{day.isoformat()}.json"
    if not path.is_file():
        raise DataError(f"no closing account snapshot {path}: execute has not handled market.close for {day}")
    return AccountState.model_validate_json(path.read_text(encoding="utf-8"))


def from_streams(
    settings: Settings, bus: RedisBus, run_id: str, day: date, clock: list[ClockRecord] | None = None
) -> EndOfDayReport:
    """Return the end-of-day report of a run that went through Redis Streams (a local cluster or Knative)."""
    timed = timed_run_events(bus, run_id)
    if not timed:
        raise DataError(f"run {run_id} has no events on Redis (stream {run_log(run_id)})")
    events = [e for _, e in timed]
    latency = stream_latency(timed)
    closing = closing_state(settings, day)
    book = account_book(settings)
    report = build_report(
        events,
        closing,
        run_id=run_id,
        calendar=TradingCalendar().source(day),
        stage_ms={s.stage: s.ms for s in latency},
        dead_letters=[d.reason for d in bus.dead_letters() if run_id in str(d.raw)],
        opening_actions=opening_actions(book, day),
    )
    return build_end_of_day(
        report,
        events,
        opening=book.opening_state(day),
        latency=latency,
        source="Redis Streams",
        benchmark=benchmark_of(settings),
        clock=clock or [],
    )


def rebuild_from_redis(settings: Settings, day: date, run_id: str | None = None) -> EndOfDayReport:
    """Return the report of `day`'s run (default: the run the clock's latest market.open started) from Redis."""
    from alphamoe.clock.ledger import SessionLedger
    from alphamoe.clock.schedule import TickKind
    from alphamoe.kv.client import connect

    if not settings.redis_url:
        raise DataError("--build reads the day from Redis Streams: set ALPHAMOE_REDIS_URL")
    client = connect(settings.redis_url)
    bus, ledger = RedisBus(client, settings.fabric), SessionLedger(client, settings.clock)
    if run_id is None:
        opened = ledger.claimed(day, TickKind.MARKET_OPEN)
        known = sorted(r for r, d in bus.runs().items() if d == day.isoformat())
        run_id = opened.run_id if opened and opened.run_id else (known[-1] if known else None)
    if run_id is None:
        raise DataError(f"no run of {day.isoformat()} on Redis: neither the clock nor the bus recorded one")
    return from_streams(settings, bus, run_id, day, clock=ledger.records(day))
