"""What an operator must hear about, put into words: one pure function per source, each returning an Alert.

Sources: fills and refusals on the order streams, the data job's `alert.raised` and quarantines
(`data.ready`), dead letters, the kill switch's state and the clutch, a function's readiness and the
end-of-day report.
`at` is when the fact happened (a stream entry's time), so a late delivery still says when.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from alphamoe.alerts.model import Alert, AlertKind, Severity
from alphamoe.broker.clutch import ClutchStatus
from alphamoe.errors import clip
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import AlertRaised, DataReady, OrderFailed, OrderFilled, OrderRejected, Payload
from alphamoe.report.endofday import EndOfDayReport
from alphamoe.risk.state import TradingState, TradingStatus

ORDER_STREAM_TYPES: tuple[type[Payload], ...] = (OrderFilled, OrderRejected, OrderFailed, AlertRaised, DataReady)
"""The event types whose streams the watcher reads for alerts (market.close too, for the report)."""
DATA_ALERT_TITLES = {
    "STALE_DATA": "Day refused on stale data",
    "DATA_UPDATE_FAILED": "Evening data update failed",
    "EVIDENCE_UPDATE_FAILED": "Evening evidence fetch failed (the bars are in)",
}
"""The title of each data job `alert.raised` code (AlertRaised.code): a person reads it first."""
_STATE_SEVERITY = {
    TradingState.HALTED: Severity.CRITICAL,
    TradingState.REDUCING: Severity.WARNING,
    TradingState.ACTIVE: Severity.INFO,
}


def entry_time(entry_id: str) -> datetime:
    """Return the time of a Redis stream entry id (`<ms>-<seq>`), in UTC."""
    return datetime.fromtimestamp(int(entry_id.split("-", 1)[0]) / 1000, UTC)


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def from_event(envelope: Envelope[Payload], at: datetime) -> Alert | None:
    """Return the alert of a fill, a refusal, a data failure or a quarantine; None for any other event."""
    p = envelope.payload
    day = p.trading_day
    if isinstance(p, OrderFilled):
        return Alert(
            kind=AlertKind.FILL,
            severity=Severity.INFO,
            day=day,
            account=p.account_id,
            at=at,
            title=f"Filled {p.side} {p.symbol} {p.fill_quantity:,} @ {_money(p.fill_price)}",
            lines=(
                f"order {p.client_order_id}: {p.cumulative_quantity:,} filled so far, {p.status}",
                f"value {_money(p.fill_price * p.fill_quantity)} CNY, fees {_money(p.fees)} CNY",
            ),
        )
    if isinstance(p, OrderRejected):
        o = p.order
        return Alert(
            kind=AlertKind.REJECTION,
            severity=Severity.WARNING,
            day=day,
            account=o.account_id,
            at=at,
            title=f"Risk rejected {o.side} {o.symbol} {o.quantity:,} @ {_money(o.limit_price)}",
            lines=(*(f"{v.code}: {v.message}" for v in p.violations), f"trading state {p.trading_state}"),
        )
    if isinstance(p, OrderFailed):
        return Alert(
            kind=AlertKind.REJECTION,
            severity=Severity.WARNING,
            day=day,
            account=p.account_id,
            at=at,
            title=f"Broker refused {p.side} {p.symbol} (order {p.client_order_id})",
            lines=(p.reason,),
        )
    if isinstance(p, AlertRaised):
        stale = p.code == "STALE_DATA"
        return Alert(
            kind=AlertKind.DATA,
            severity=Severity.CRITICAL if stale else Severity.WARNING,
            day=day,
            at=at,
            title=f"{DATA_ALERT_TITLES[p.code]} ({p.code})",
            lines=(p.message,),
        )
    if isinstance(p, DataReady) and p.quarantined:
        return Alert(
            kind=AlertKind.DATA,
            severity=Severity.WARNING,
            day=day,
            at=at,
            title=f"Data quarantined: {len(p.quarantined)} session(s) held back from {p.source}",
            lines=tuple(f"{session}: {'; '.join(why)}" for session, why in sorted(p.quarantined.items())),
        )
    return None


def from_dead_letter(entry_id: str, fields: dict[str, str]) -> Alert:
    """Return the alert of one entry of alphamoe:dlq (its reason, where it came from, what it was)."""
    try:
        raw: Any = json.loads(fields.get("raw", "{}"))
    except ValueError:
        raw = {}
    # the bridge parks {function, stream, entry_id, fields}; a function parks the entry's fields themselves
    event: Any = raw.get("fields", raw) if isinstance(raw, dict) else {}
    event = event if isinstance(event, dict) else {}
    lines = [clip(fields.get("reason", "(no reason)"), 400)]
    if event.get("type"):
        lines.append(f"event {event['type']}" + (f" of {event['tradingday']}" if event.get("tradingday") else ""))
    if isinstance(raw, dict) and raw.get("function"):
        lines.append(f"for function {raw['function']}")
    lines.append(f"dead letter {entry_id}: `alphamoe status` lists it; the console requeues or discards it")
    return Alert(
        kind=AlertKind.DEAD_LETTER,
        severity=Severity.WARNING,
        at=entry_time(entry_id),
        title=f"Dead letter from {fields.get('source') or 'a function'}",
        lines=tuple(lines),
    )


def from_state_change(account: str, before: TradingStatus | None, after: TradingStatus, at: datetime) -> Alert:
    """Return the alert of a kill-switch change (HALTED critical, REDUCING warning, a resume informational)."""
    was = f"was {before.state.value}" if before is not None else "first seen"
    return Alert(
        kind=AlertKind.TRADING_STATE,
        severity=_STATE_SEVERITY[after.state],
        account=account,
        at=at,
        title=f"Trading {after.state.value} on {account}",
        lines=(after.describe(), was),
    )


def from_clutch_change(account: str, before: ClutchStatus | None, after: ClutchStatus, at: datetime) -> Alert:
    """Return the alert of the clutch (离合) moving: disengaged, orders are decided but never sent."""
    word = "DISENGAGED" if not after.engaged else "ENGAGED"
    was = "first seen" if before is None else f"was {'ENGAGED' if before.engaged else 'DISENGAGED'}"
    meaning = "execute parks every approved order" if not after.engaged else "approved orders go to the broker"
    return Alert(
        kind=AlertKind.TRADING_STATE,
        severity=Severity.INFO if after.engaged else Severity.WARNING,
        account=account,
        at=at,
        title=f"Clutch {word} on {account}: {meaning}",
        lines=(after.describe(), was),
    )


def from_readiness(function: str, url: str, ready: bool, at: datetime, *, failures: int = 0) -> Alert:
    """Return the alert of a function that stopped (or resumed) answering its readiness probe."""
    if ready:
        return Alert(
            kind=AlertKind.FUNCTION, severity=Severity.INFO, at=at, title=f"Function {function} ready again", lines=()
        )
    return Alert(
        kind=AlertKind.FUNCTION,
        severity=Severity.CRITICAL,
        at=at,
        title=f"Function {function} not ready",
        lines=(f"{failures} readiness probes in a row failed at {url}/health/readiness",),
    )


def from_report(report: EndOfDayReport, at: datetime, account: str | None = None) -> Alert:
    """Return the end-of-day summary: P&L against the benchmark, fills, rejections, LLM cost, dead letters."""
    perf, day = report.performance, report.day
    lines = [f"equity {_money(perf.closing_equity)} CNY, P&L {perf.pnl:+,.2f} CNY ({perf.day_return * 100:+.2f}%)"]
    if perf.benchmark_return is not None and perf.excess_return is not None:
        lines.append(f"{perf.benchmark} {perf.benchmark_return * 100:+.2f}%, excess {perf.excess_return * 100:+.2f}%")
    lines.append(
        f"{len(day.signals)} signals, {len(day.orders)} orders, {len(day.fills)} fills, "
        f"{len(report.rejections)} rejected, {len(day.positions)} positions, cash {_money(day.cash)} CNY"
    )
    lines += [f"{f.side} {f.symbol} {f.quantity:,} @ {_money(f.price)}" for f in day.fills[:8]]
    if report.llm.calls:
        lines.append(f"LLM: {report.llm.calls} calls, {report.llm.total_tokens:,} tokens, {report.llm.cost} CNY")
    if day.dead_letters:
        lines.append(f"{len(day.dead_letters)} dead letters")
    return Alert(
        kind=AlertKind.END_OF_DAY,
        severity=Severity.INFO,
        day=report.trading_day,
        account=account,
        at=at,
        title=f"End of day {report.trading_day}: P&L {perf.pnl:+,.2f} CNY",
        lines=tuple(lines),
    )


def probe_alert(at: datetime) -> Alert:
    """Return the message `alphamoe alerts test` sends."""
    return Alert(
        kind=AlertKind.TEST,
        severity=Severity.INFO,
        at=at,
        title="alphamoe test alert",
        lines=("This channel is set up: fills, rejections, halts and the end-of-day summary will arrive here.",),
    )
