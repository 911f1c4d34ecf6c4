"""Run one trading day in process: market.open → scan → route → size → risk → execute → market.close."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from alphamoe.bus.memory import InMemoryBus
from alphamoe.events import payloads as ev
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import MarketClose, MarketOpen, event_type_of
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.factory import Stages, build_stages
from alphamoe.report.day import DayReport, build_report
from alphamoe.report.render import write_html
from alphamoe.settings import Settings

T = TypeVar("T")

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "scan": (event_type_of(ev.MarketOpen),),
    "route": (event_type_of(ev.SignalGenerated),),
    "size": (event_type_of(ev.SignalRouted), event_type_of(ev.ScanCompleted), event_type_of(ev.MarketOpen)),
    "risk": (event_type_of(ev.OrderProposed), event_type_of(ev.MarketOpen)),
    "execute": (event_type_of(ev.OrderApproved), event_type_of(ev.MarketClose)),
}
"""Which event types each function subscribes to: the one table the bridge and manifests derive from.

Size and risk take market.open too: they read the day's reference and facts while the scan runs, so the
first signal.routed / order.proposed finds them loaded (`prefetch`)."""


@dataclass(frozen=True)
class DayRun:
    report: DayReport
    events: Sequence[Envelope[Any]]
    json_path: Path
    html_path: Path


def default_run_id(day: date, settings: Settings, store: BarStore) -> str:
    """Return a run id that is the same for the same day, account and data (reruns are comparable)."""
    basis = f"{day}|{settings.account_id}|{sorted(store.meta().items())}"
    return f"{day:%Y%m%d}-{hashlib.sha256(basis.encode()).hexdigest()[:8]}"


def _timed(
    handler: Callable[[T], Sequence[Envelope[Any]]], name: str, spent: dict[str, float]
) -> Callable[[T], Sequence[Envelope[Any]]]:
    """Wrap a stage handler (one event, or a batch) so its wall time adds up in `spent[name]`."""

    def run(arg: T) -> Sequence[Envelope[Any]]:
        start = time.perf_counter()
        try:
            return handler(arg)
        finally:
            spent[name] += (time.perf_counter() - start) * 1000

    return run


def run_day(settings: Settings, day: date, *, run_id: str | None = None, stages: Stages | None = None) -> DayRun:
    """Run the whole pipeline for `day` on the in-memory bus and write the report (JSON + HTML)."""
    secret = (
        settings.approval_secret.get_secret_value().encode() if settings.approval_secret else secrets.token_bytes(32)
    )
    stages = stages or build_stages(settings, secret=secret)
    run_id = run_id or default_run_id(day, settings, stages.data.store)
    bus = InMemoryBus()
    spent: dict[str, float] = defaultdict(float)
    for name, types in SUBSCRIPTIONS.items():
        if name == "route":  # the day's signals go to the experts together: LLM calls run concurrently
            bus.subscribe_batch(types[0], _timed(stages.route.route_many, name, spent))
            continue
        for event_type in types:
            bus.subscribe(event_type, _timed(stages.by_name(name).handle, name, spent))
    bus.publish(
        build_event(MarketOpen(trading_day=day, account_id=settings.account_id), run_id=run_id, source="/alphamoe/cli")
    )
    bus.drain()
    bus.publish(
        build_event(MarketClose(trading_day=day, account_id=settings.account_id), run_id=run_id, source="/alphamoe/cli")
    )
    bus.drain()
    report = build_report(
        bus.log,
        stages.execute.closed[day],
        run_id=run_id,
        calendar=stages.data.calendar.source(day),
        stage_ms=dict(spent),
        dead_letters=[p.reason for p in bus.dead_letters],
    )
    out = settings.runs_dir / day.isoformat()
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "report.json"
    json_path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    html_path = write_html(report, out / "report.html")
    return DayRun(report=report, events=bus.log, json_path=json_path, html_path=html_path)
