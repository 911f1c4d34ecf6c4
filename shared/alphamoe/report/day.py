"""The day report: every signal, verdict with reasons, order (or why none), fill and position of one run.

Built only from the run's events and the broker's closing state, so a report of a replay is the same as
the report of the live day it replays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import groupby
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.broker.ids import client_order_id
from alphamoe.data.actions.model import ActionKind, CorporateAction
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import (
    OrderApproved,
    OrderCancelled,
    OrderFailed,
    OrderFilled,
    OrderProposed,
    OrderRejected,
    OrderSubmitted,
    ScanCompleted,
    SignalGenerated,
    SignalRouted,
    SizingCompleted,
    UnsizedReason,
)
from alphamoe.market.corporate import actions_since, entitle, settle
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.portfolio import AccountState
from alphamoe.types import OrderStatus, Side, Verdict


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SignalRow(_Row):
    symbol: str
    strategy: str = Field("", description="the strategy that signalled (one of a strategy book's)")
    rank: int
    score: float
    p_win: float
    payoff: float
    n_trades: int
    reference_price: Decimal


class RoutedRow(_Row):
    symbol: str
    verdict: Verdict
    confidence: float
    experts: list[str]
    reasoning_summary: str
    track_records: list[str] = Field(
        default_factory=list,
        description="each selected expert's track-record multiplier the gate applied (ALPHAMOE_ROUTE__TRACK_RECORD_"
        "WEIGHTS), e.g. 'trend: track record main/up ×1.12'",
    )


class OrderRow(_Row):
    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    quantity: int
    limit_price: Decimal
    status: OrderStatus
    filled_quantity: int
    reasons: list[str]
    risk: str = Field("", description="risk's decision: approved, rejected (with the rule codes) or not decided")


class UnsizedRow(_Row):
    """A confirmed signal that got no order, and sizing's reason with its arithmetic."""

    symbol: str
    signal_id: str
    code: UnsizedReason
    reason: str
    p_win: float
    payoff: float
    kelly: float
    kelly_fraction: float
    confidence: float
    target_weight: float
    limit_price: Decimal | None
    lot: int | None
    quantity: int
    notes: list[str]


class FillRow(_Row):
    client_order_id: str
    symbol: str
    side: Side
    quantity: int
    price: Decimal
    fees: Decimal


class PositionRow(_Row):
    symbol: str
    quantity: int
    sellable: int
    cost: Decimal
    last_price: Decimal
    market_value: Decimal


class OpeningActionRow(_Row):
    """The corporate actions of one holding on one ex date, as the account applied them at the day's open."""

    symbol: str
    ex_date: date
    actions: list[str] = Field(description="each action's kind and terms, e.g. 'bonus_shares 0.2 per share'")
    held: int = Field(description="shares held at the close before the ex date (0 on a pay-date row)")
    shares_added: int = Field(description="bonus and capitalisation shares received (sellable the next session)")
    cash: Decimal = Field(description="CNY credited at this open: dividends less tax")
    tax: Decimal = Field(
        description="CNY of dividend tax (差别化红利税) withheld at the credit (before 2013; since, a sale collects it)"
    )
    receivable: Decimal = Field(Decimal(0), description="CNY of dividends less tax owed until `pay_date`")
    pay_date: date | None = Field(None, description="the day the dividend is paid, when after the ex date")


def _terms(action: CorporateAction) -> str:
    if action.kind is ActionKind.CASH_DIVIDEND:
        return f"{action.kind.value} {action.cash} CNY per share"
    if action.kind is ActionKind.RIGHTS_ISSUE:
        return f"{action.kind.value} {action.rights_ratio} at {action.rights_price} CNY (not subscribed: lapsed)"
    return f"{action.kind.value} {action.shares} per share"


def applied_actions(close: AccountState, actions: Sequence[CorporateAction], day: date) -> list[OpeningActionRow]:
    """Return what `close.roll_to(day, actions)` applies, per holding and ex date (`market.corporate.entitle`),
    then the dividends it pays at the open that went ex before (`market.corporate.settle`)."""
    rows: list[OpeningActionRow] = []
    owed = list(close.receivables)
    due = sorted((a for a in actions if close.trading_day < a.ex_date <= day), key=lambda a: (a.symbol, a.ex_date))
    held = {p.symbol: p for p in close.positions if p.quantity > 0}
    for symbol, ours in groupby(due, key=lambda a: a.symbol):
        if symbol not in held:
            continue
        p = held[symbol]
        quantity, cost, price = p.quantity, p.cost, p.last_price
        for ex_date, group in groupby(ours, key=lambda a: a.ex_date):
            group_actions = list(group)
            got = entitle(symbol, quantity, cost, group_actions, opened=p.opened, last_price=price)
            rows.append(
                OpeningActionRow(
                    symbol=symbol,
                    ex_date=ex_date,
                    actions=[_terms(a) for a in group_actions],
                    held=quantity,
                    shares_added=got.new_shares,
                    cash=got.paid,
                    tax=got.tax,
                    receivable=got.cash - got.paid,
                    pay_date=max((r.pay_date for r in got.receivables), default=None),
                )
            )
            owed.extend(got.receivables)
            quantity, cost, price = got.quantity, got.cost, got.price
    _, still = settle(owed, day)
    for r in sorted((r for r in owed if r not in still), key=lambda r: (r.symbol, r.ex_date)):
        rows.append(
            OpeningActionRow(
                symbol=r.symbol,
                ex_date=r.ex_date,
                actions=[f"dividend paid (gone ex {r.ex_date})"],
                held=0,
                shares_added=0,
                cash=r.amount,
                tax=Decimal(0),
                pay_date=r.pay_date,
            )
        )
    return rows


def opening_actions(book: AccountBook, day: date) -> list[OpeningActionRow]:
    """Return the corporate actions `book.opening_state(day)` applies to the last close before `day`."""
    previous = [path for closed, path in book.snapshots().items() if closed < day]
    if not previous:
        return []
    close = book.read(previous[-1])
    return applied_actions(close, actions_since(book.actions, close.trading_day, day), day)


class DayReport(_Row):
    trading_day: date
    run_id: str
    calendar: str
    strategy: str
    data_until: date | None
    universe_size: int
    excluded: dict[str, int]
    opening_actions: list[OpeningActionRow] = Field(
        default_factory=list, description="corporate actions applied to the holdings at the open"
    )
    signals: list[SignalRow]
    routed: list[RoutedRow]
    orders: list[OrderRow]
    unsized: list[UnsizedRow] = Field(default_factory=list, description="confirmed, not ordered: why")
    fills: list[FillRow]
    positions: list[PositionRow]
    cash: Decimal
    equity: Decimal
    stage_ms: dict[str, float]
    dead_letters: list[str]


def _track_terms(routed: SignalRouted) -> list[str]:
    """The gate's track-record terms of the selected experts (router.gate.weight_for writes them " × "-joined)."""
    return [
        f"{c.expert}: {term}"
        for c in routed.gate
        if c.selected
        for term in c.why.split(" × ")
        if term.startswith("track record ")
    ]


@dataclass(frozen=True)
class _ExecutionState:
    status: OrderStatus
    filled: int
    notes: list[str]


def _execution_states(payloads: Sequence[object]) -> dict[str, _ExecutionState]:
    """Return each order's last broker-reported state, from execute's events in log order."""
    states: dict[str, _ExecutionState] = {}
    for p in payloads:
        if not isinstance(p, OrderSubmitted | OrderFilled | OrderCancelled | OrderFailed):
            continue
        before = states.get(p.order_id, _ExecutionState(p.status, 0, []))
        if isinstance(p, OrderFilled):
            states[p.order_id] = _ExecutionState(p.status, p.cumulative_quantity, before.notes)
        elif isinstance(p, OrderCancelled):
            states[p.order_id] = _ExecutionState(p.status, p.filled_quantity, [*before.notes, p.reason])
        elif isinstance(p, OrderFailed):
            states[p.order_id] = _ExecutionState(p.status, before.filled, [*before.notes, p.reason])
        else:
            states[p.order_id] = _ExecutionState(p.status, before.filled, before.notes)
    return states


def build_report(
    events: Sequence[Envelope[Any]],
    closing: AccountState,
    *,
    run_id: str,
    calendar: str,
    stage_ms: dict[str, float],
    dead_letters: Sequence[str] = (),
    opening_actions: Sequence[OpeningActionRow] = (),
) -> DayReport:
    """Assemble the report of one run from its event log, the account at the close and the corporate actions
    applied at the open (`opening_actions`)."""
    payloads = [e.payload for e in events]
    completed = next((p for p in payloads if isinstance(p, ScanCompleted)), None)
    signals = sorted((p for p in payloads if isinstance(p, SignalGenerated)), key=lambda s: s.rank)
    routed = sorted((p for p in payloads if isinstance(p, SignalRouted)), key=lambda r: r.signal.rank)
    proposed = sorted((p for p in payloads if isinstance(p, OrderProposed)), key=lambda o: o.batch_index)
    rejected = {p.order.order_id: p for p in payloads if isinstance(p, OrderRejected)}
    approved = {p.order.order_id for p in payloads if isinstance(p, OrderApproved)}
    states = _execution_states(payloads)
    fills = [
        FillRow(
            client_order_id=p.client_order_id,
            symbol=p.symbol,
            side=p.side,
            quantity=p.fill_quantity,
            price=p.fill_price,
            fees=p.fees,
        )
        for p in payloads
        if isinstance(p, OrderFilled)
    ]
    orders: list[OrderRow] = []
    for o in proposed:
        decision = (
            "rejected: " + ", ".join(v.code for v in rejected[o.order_id].violations)
            if o.order_id in rejected
            else "approved"
            if o.order_id in approved
            else "not decided"
        )
        if o.order_id in rejected:
            state = _ExecutionState(
                OrderStatus.REJECTED, 0, [f"{v.code}: {v.message}" for v in rejected[o.order_id].violations]
            )
        else:
            # approved but never reported by the broker stays NEW; never approved nor rejected is UNKNOWN
            pending = _ExecutionState(OrderStatus.NEW if o.order_id in approved else OrderStatus.UNKNOWN, 0, [])
            state = states.get(o.order_id, pending)
        orders.append(
            OrderRow(
                order_id=o.order_id,
                client_order_id=client_order_id(o.order_id),
                symbol=o.symbol,
                side=o.side,
                quantity=o.quantity,
                limit_price=o.limit_price,
                status=state.status,
                filled_quantity=state.filled,
                reasons=list(o.reasons) + state.notes,
                risk=decision,
            )
        )
    unsized = [
        UnsizedRow(**{**u.model_dump(), "notes": list(u.notes)})
        for p in payloads
        if isinstance(p, SizingCompleted)
        for u in p.unsized
    ]
    return DayReport(
        trading_day=closing.trading_day,
        run_id=run_id,
        calendar=calendar,
        strategy=completed.strategy if completed else "",
        data_until=completed.data_until if completed else None,
        universe_size=completed.universe_size if completed else 0,
        excluded=dict(completed.excluded) if completed else {},
        opening_actions=list(opening_actions),
        signals=[
            SignalRow(
                symbol=s.symbol,
                strategy=s.strategy,
                rank=s.rank,
                score=s.score,
                p_win=s.p_win,
                payoff=s.payoff,
                n_trades=s.n_trades,
                reference_price=s.reference_price,
            )
            for s in signals
        ],
        routed=[
            RoutedRow(
                symbol=r.signal.symbol,
                verdict=r.verdict,
                confidence=r.confidence,
                experts=[f"{o.expert}:{o.verdict.value}" for o in r.opinions],
                reasoning_summary=r.reasoning_summary,
                track_records=_track_terms(r),
            )
            for r in routed
        ],
        orders=orders,
        unsized=unsized,
        fills=fills,
        positions=[
            PositionRow(
                symbol=p.symbol,
                quantity=p.quantity,
                sellable=p.sellable,
                cost=p.cost,
                last_price=p.last_price,
                market_value=p.last_price * p.quantity,
            )
            for p in sorted(closing.positions, key=lambda p: p.symbol)
        ],
        cash=closing.cash,
        equity=closing.equity,
        stage_ms=stage_ms,
        dead_letters=list(dead_letters),
    )
