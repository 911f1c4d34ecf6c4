"""One trading day for several accounts in process: scan and route once, size → risk → execute per account.

Every account has its own size, risk and execute (its capital and strategy weights, its positions, its
risk ledger and kill switch, its journal, broker session and reconciliation, its fee schedule), built from
its settings (`accounts.config.account_settings`); with Redis their barrier batches, ledgers, switches and
journals share it under keys of their account. The scan runs every strategy some account trades
(`accounts.config.day_scan`). An account's stages only take the events of its account id; one that raises
(a broker down, a journal unreachable) has the event parked under its account's name, and the other
accounts trade on. The reports are written per account, under `<runs>/<day>/accounts/<id>/`, and combined
beside them (`accounts/report.json`, `accounts.report`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from alphamoe.accounts.config import AccountConfig, account_settings, day_scan, load_accounts
from alphamoe.accounts.report import accounts_folder, write_combined
from alphamoe.broker.service import BrokerFactory
from alphamoe.bus.memory import InMemoryBus
from alphamoe.clock.schedule import run_mode
from alphamoe.clock.sessions import require_traded_day
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import MarketClose, MarketOpen
from alphamoe.pipeline.factory import build_stage, open_market
from alphamoe.pipeline.run import SUBSCRIPTIONS, DayRun, default_run_id, with_event_key
from alphamoe.pipeline.stages.execute import ExecuteStage
from alphamoe.pipeline.stages.risk import RiskStage
from alphamoe.pipeline.stages.route import RouteStage
from alphamoe.pipeline.stages.scan import ScanStage
from alphamoe.pipeline.stages.size import SizeStage
from alphamoe.report.day import build_report, opening_actions
from alphamoe.report.render import write_html
from alphamoe.security import runs
from alphamoe.security.keys import require_key
from alphamoe.settings import Settings
from alphamoe.storage.local import write_atomically

log = logging.getLogger("alphamoe.pipeline.several")
Handler = Callable[[Envelope[Any]], Sequence[Envelope[Any]]]


@dataclass(frozen=True)
class AccountStages:
    account: AccountConfig
    size: SizeStage
    risk: RiskStage
    execute: ExecuteStage


def account_of(payload: object) -> str | None:
    """Return the account an event is for; None for the day's shared events (open, signals, scan)."""
    if isinstance(payload, MarketOpen):
        return None
    found = getattr(payload, "account_id", None)
    if found is None:
        found = getattr(getattr(payload, "order", None), "account_id", None)
    return found if isinstance(found, str) else None


def _guarded(bus: InMemoryBus, account: str, stage: str, handler: Handler) -> Handler:
    # only this account's events; a failure parks the event under the account's name, the others go on
    def run(envelope: Envelope[Any]) -> Sequence[Envelope[Any]]:
        if account_of(envelope.payload) not in (None, account):
            return []
        try:
            return handler(envelope)
        except Exception as exc:
            log.error("account %s: %s failed on %s: %s", account, stage, envelope.type, exc)
            bus.park(
                f"account {account}: {stage}: {type(exc).__name__}: {exc}",
                {"id": envelope.id, "type": envelope.type, "run_id": envelope.run_id},
            )
            return []

    return run


def build_accounts(
    settings: Settings,
    secret: bytes,
    accounts: Sequence[AccountConfig],
    data: Any,
    brokers: Mapping[str, BrokerFactory] | None = None,
) -> list[AccountStages]:
    """Build size, risk and execute of every account on one market view (`brokers`: sessions by account id).

    A factory in `brokers` marked `broker.simulation.simulated_sessions` lets that account's live adapter
    fill a past day's (simulated) approvals, once its session declares itself simulated.
    """
    built = []
    for account in accounts:
        own = account_settings(settings, account)
        size, risk, execute = (build_stage(n, own, secret=secret, data=data) for n in ("size", "risk", "execute"))
        assert isinstance(size, SizeStage) and isinstance(risk, RiskStage) and isinstance(execute, ExecuteStage)
        if brokers is not None and account.id in brokers:
            execute.service.brokers = brokers[account.id]
        built.append(AccountStages(account, size, risk, execute))
    return built


def run_accounts_day(
    settings: Settings,
    day: date,
    *,
    accounts: Sequence[AccountConfig] | None = None,
    brokers: Mapping[str, BrokerFactory] | None = None,
    run_id: str | None = None,
) -> dict[str, DayRun]:
    """Run `day` for every account (ALPHAMOE_ACCOUNTS, checked at start): a report per account and combined."""
    settings = with_event_key(settings)
    key = require_key(settings.event_key, "ALPHAMOE_EVENT_KEY")
    secret = (
        settings.approval_secret.get_secret_value().encode() if settings.approval_secret else secrets.token_bytes(32)
    )
    accounts = list(accounts) if accounts is not None else load_accounts(settings)
    data = open_market(settings)
    require_traded_day(data.calendar, data.store.sessions(), day)
    scan = build_stage("scan", day_scan(settings, accounts), secret=secret, data=data)
    route = build_stage("route", settings, secret=secret)
    assert isinstance(scan, ScanStage) and isinstance(route, RouteStage)
    desks = build_accounts(settings, secret, accounts, data, brokers)
    try:
        return _run(settings, day, key, desks, scan, route, run_id or default_run_id(day, settings, data.store))
    finally:
        for d in desks:
            d.execute.stop()  # sessions, lease and reconciliation threads end with the day's run


def _run(
    settings: Settings,
    day: date,
    key: bytes,
    desks: list[AccountStages],
    scan: ScanStage,
    route: RouteStage,
    run_id: str,
) -> dict[str, DayRun]:
    token = runs.issue(key, run_id, day, run_mode(day, datetime.now(UTC), settings.clock))
    bus = InMemoryBus()
    bus.subscribe(SUBSCRIPTIONS["scan"][0], scan.handle)
    bus.subscribe_batch(SUBSCRIPTIONS["route"][0], route.route_many)
    for d in desks:
        for name in ("size", "risk", "execute"):
            stage = getattr(d, name)
            for event_type in SUBSCRIPTIONS[name]:
                bus.subscribe(event_type, _guarded(bus, d.account.id, name, stage.handle))
    bus.publish(build_event(MarketOpen(trading_day=day, account_id=settings.account_id), **_meta(run_id, token)))
    bus.drain()
    for d in desks:
        _guarded(bus, d.account.id, "execute", partial(_session, d.execute, day))(bus.log[0])
    for d in desks:
        bus.publish(build_event(MarketClose(trading_day=day, account_id=d.account.id), **_meta(run_id, token)))
        bus.drain()
    reports = {d.account.id: _report(settings, d, day, run_id, bus) for d in desks}
    write_combined(accounts_folder(settings.runs_dir, day), [d.account for d in desks], reports)
    return reports


def _meta(run_id: str, token: str) -> dict[str, Any]:
    return {"run_id": run_id, "source": "/alphamoe/cli", "run_token": token}


def _session(execute: ExecuteStage, day: date, _: Envelope[Any]) -> Sequence[Envelope[Any]]:
    execute.trade_session(day)  # the paper session fills on the quotes; a live broker trades on its own
    return []


def _report(settings: Settings, d: AccountStages, day: date, run_id: str, bus: InMemoryBus) -> DayRun:
    events = [e for e in bus.log if account_of(e.payload) in (None, d.account.id)]
    report = build_report(
        events,
        # an account whose close failed (its broker down) reports its opening: the dead letters say why
        d.execute.journal.closing(day) or d.execute.accounts.opening_state(day),
        run_id=run_id,
        calendar=d.execute.data.calendar.source(day),
        stage_ms={},
        dead_letters=[p.reason for p in bus.dead_letters if p.reason.startswith(f"account {d.account.id}:")],
        opening_actions=opening_actions(d.execute.accounts, day),
    )
    out = accounts_folder(settings.runs_dir, day) / d.account.id
    json_path = write_atomically(out / "report.json", report.model_dump_json(indent=2).encode("utf-8"))
    return DayRun(report=report, events=events, json_path=json_path, html_path=write_html(report, out / "report.html"))
