"""Run one trading day in process: market.open → scan → route → size → risk → execute → market.close.

The run issues its own run token (`security.runs`, SESSION for the exchange's today, else SIMULATION) with
the settings' event key, or with a key generated for this process; the stages are built from the same
settings, so risk verifies the token exactly as a function of the fabric does.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr

from alphamoe.bus.memory import InMemoryBus
from alphamoe.clock.schedule import run_mode
from alphamoe.clock.sessions import require_traded_day
from alphamoe.events import payloads as ev
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import MarketClose, MarketOpen, event_type_of
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.factory import Stages, build_stages
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.quotes.opening import OpeningStore
from alphamoe.quotes.source import SESSION_CLOSE, QuoteSource
from alphamoe.report.day import DayReport, build_report, opening_actions
from alphamoe.report.render import write_html
from alphamoe.security import runs
from alphamoe.security.keys import generate_key, require_key
from alphamoe.settings import Settings
from alphamoe.storage.local import write_atomically

T = TypeVar("T")

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "scan": (event_type_of(ev.MarketOpen),),
    "route": (event_type_of(ev.SignalGenerated),),
    "size": (event_type_of(ev.SignalRouted), event_type_of(ev.ScanCompleted), event_type_of(ev.MarketOpen)),
    "risk": (event_type_of(ev.OrderProposed), event_type_of(ev.MarketOpen)),
    "execute": (event_type_of(ev.OrderApproved), event_type_of(ev.MarketClose), event_type_of(ev.MarketOpen)),
}
"""Which event types each function subscribes to: the one table the bridge and manifests derive from.

Size and risk take market.open too: they read the day's reference and facts while the scan runs, so the
first signal.routed / order.proposed finds them loaded (`prefetch`). Execute takes it to start the live quote
feed at the open (`ExecuteStage.follow`)."""


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


def session_stages(settings: Settings, secret: bytes, day: date, quotes: QuoteSource) -> Stages:
    """Stages for trading `day` on quotes: a day not in the store yet opens on its opening rows."""
    store = BarStore(settings.data)
    if day in store.sessions():
        return build_stages(settings, secret=secret)
    opening = OpeningStore(store, day, quotes.previous_closes(day, None))
    return build_stages(settings, secret=secret, data=MarketData(opening))


def with_event_key(settings: Settings) -> Settings:
    """Return `settings` with an event key: its own (checked by `require_key`), else one made for this process.

    Build the stages of an in-process run from the returned settings: risk verifies run tokens with that key.
    """
    if settings.event_key is not None:
        require_key(settings.event_key, "ALPHAMOE_EVENT_KEY")
        return settings
    return settings.model_copy(update={"event_key": SecretStr(generate_key())})


def run_day(
    settings: Settings,
    day: date,
    *,
    run_id: str | None = None,
    stages: Stages | None = None,
    quotes: QuoteSource | None = None,
    until: clock_time = SESSION_CLOSE,
) -> DayRun:
    """Run the whole pipeline for `day` on the in-memory bus and write the report (JSON + HTML).

    `stages`, when given, must be built from settings that carry the event key (`with_event_key`). With
    `quotes` the paper broker trades the session on them, from market.open until `until` (the close), and
    a day the store has no bar for yet (today) opens on D−1's bars and the quotes' previous closes
    (`quotes.opening`).
    """
    settings = with_event_key(settings)
    key = require_key(settings.event_key, "ALPHAMOE_EVENT_KEY")
    secret = (
        settings.approval_secret.get_secret_value().encode() if settings.approval_secret else secrets.token_bytes(32)
    )
    if stages is None and quotes is not None:
        stages = session_stages(settings, secret, day, quotes)
    stages = stages or build_stages(settings, secret=secret)
    if quotes is not None:
        stages.execute.quotes = quotes
    require_traded_day(stages.data.calendar, stages.data.store.sessions(), day)  # no run, no snapshot: exit 2
    run_id = run_id or default_run_id(day, settings, stages.data.store)
    token = runs.issue(key, run_id, day, run_mode(day, datetime.now(UTC), settings.clock))
    bus = InMemoryBus()
    spent: dict[str, float] = defaultdict(float)
    for name, types in SUBSCRIPTIONS.items():
        if name == "route":  # the day's signals go to the experts together: LLM calls run concurrently
            bus.subscribe_batch(types[0], _timed(stages.route.route_many, name, spent))
            continue
        for event_type in types:
            bus.subscribe(event_type, _timed(stages.by_name(name).handle, name, spent))
    for root in (
        MarketOpen(trading_day=day, account_id=settings.account_id),
        MarketClose(trading_day=day, account_id=settings.account_id),
    ):
        bus.publish(build_event(root, run_id=run_id, source="/alphamoe/cli", run_token=token))
        bus.drain()
        if isinstance(root, MarketOpen):  # the session between the open and the close: fills on the quotes
            stages.execute.trade_session(day, until)
    report = build_report(
        bus.log,
        stages.execute.closing(day),
        run_id=run_id,
        calendar=stages.data.calendar.source(day),
        stage_ms=dict(spent),
        dead_letters=[p.reason for p in bus.dead_letters],
        opening_actions=opening_actions(stages.execute.accounts, day),
    )
    out = settings.runs_dir / day.isoformat()
    json_path = write_atomically(out / "report.json", report.model_dump_json(indent=2).encode("utf-8"))
    html_path = write_html(report, out / "report.html")
    return DayRun(report=report, events=bus.log, json_path=json_path, html_path=html_path)
