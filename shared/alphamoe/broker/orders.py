"""The order state machine of DESIGN.md §6: the transition table and how a broker report moves a journaled order.

Broker reports arrive late, twice, out of order or not at all (xtquant pushes can precede the order
response). So a report is merged, not copied: fills are unioned by trade id (a duplicated trade counts
once), the filled quantity never goes down, and a status only moves along the table. A report that would
move backwards (an ACCEPTED push after the FILLED one) is stale: its status is ignored and logged, its
fills still count. A fill after CANCELLED is a real trade (the cancel lost the race) and is accepted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from alphamoe.broker.protocol import BrokerOrder, Fill, SubmitOrder
from alphamoe.types import OrderStatus

log = logging.getLogger("alphamoe.broker.orders")

S = OrderStatus
TERMINAL = frozenset({S.FILLED, S.CANCELLED, S.REJECTED})
OPEN = frozenset({S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.UNKNOWN})
_LIVE = frozenset({S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.FILLED, S.CANCELLED, S.UNKNOWN})

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({*_LIVE, S.REJECTED}),
    S.SUBMITTED: frozenset({*_LIVE, S.REJECTED} - {S.SUBMITTED}),
    # a counter junks an order it had accepted (废单 57 after 已报 50, quant-qmt-proxy #21): REJECTED, no fills
    S.ACCEPTED: frozenset((_LIVE | {S.REJECTED}) - {S.SUBMITTED, S.ACCEPTED}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.FILLED, S.CANCELLED, S.UNKNOWN}),
    S.PENDING_CANCEL: frozenset({S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.UNKNOWN, S.REJECTED}),
    # UNKNOWN is in flight: only the broker's truth (a report or reconciliation) resolves it
    S.UNKNOWN: frozenset(_LIVE | {S.REJECTED}),
    # a late fill after a cancel is a real trade; if it completes the order, the order is FILLED
    S.CANCELLED: frozenset({S.FILLED}),
    S.FILLED: frozenset(),
    S.REJECTED: frozenset(),
}
"""Allowed moves; anything else is an illegal transition, rejected and logged."""


def can_move(current: OrderStatus, new: OrderStatus) -> bool:
    return new in TRANSITIONS[current]


class OrderRecord(SubmitOrder):
    """One journaled order: the command sent (written NEW before it is sent), merged with every broker report."""

    status: OrderStatus = OrderStatus.NEW
    filled_quantity: int = Field(0, ge=0)
    average_price: Decimal | None = None
    fees: Decimal = Decimal("0")
    fills: tuple[Fill, ...] = ()
    reason: str = ""
    broker: str = ""
    broker_order_id: str = ""
    session_id: str = Field("", description="broker session the order was sent in")
    approval: str = Field("", description="the approval signature execute verified")
    run_id: str = Field("", description="the run risk approved the order in: its reservation scope")
    announced: bool = Field(False, description="order.submitted was emitted (once per order)")

    @classmethod
    def new(cls, order: SubmitOrder, *, broker: str, approval: str, run_id: str = "") -> OrderRecord:
        return cls(**dict(order), broker=broker, approval=approval, run_id=run_id)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def command(self) -> SubmitOrder:
        """Return the SubmitOrder this record stands for (to send it after a crash before the send)."""
        return SubmitOrder(**{name: getattr(self, name) for name in SubmitOrder.model_fields})

    def with_changes(self, **changes: object) -> OrderRecord:
        # validated copy: records are never mutated
        return OrderRecord.model_validate({**self.model_dump(), **changes})


class ChangeKind(StrEnum):
    SUBMITTED = "submitted"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Change:
    """One fact worth an order.* event: the record after it, and the fill for FILLED."""

    kind: ChangeKind
    record: OrderRecord
    fill: Fill | None = None


@dataclass(frozen=True)
class Merge:
    record: OrderRecord
    changes: tuple[Change, ...]
    illegal: str | None = None


def _fill_key(fill: Fill, index: int) -> str:
    return fill.trade_id or f"#{index}:{fill.quantity}@{fill.price}"


def merge(record: OrderRecord, report: BrokerOrder) -> Merge:
    """Merge a broker report into the record: return the new record and the events it is worth.

    Raises ValueError if the report is for another order (different symbol, side or quantity): that
    is not a stale report but a broken match, which reconciliation must stop on.
    """
    if (report.symbol, report.side, report.quantity) != (record.symbol, record.side, record.quantity):
        raise ValueError(
            f"broker order {report.client_order_id} is {report.side} {report.quantity} {report.symbol}; "
            f"the journal has {record.side} {record.quantity} {record.symbol}"
        )
    known = {_fill_key(f, i) for i, f in enumerate(record.fills)}
    fills = list(record.fills)
    filled = record.filled_quantity
    changes: list[Change] = []
    new_fills: list[Fill] = []
    for i, fill in enumerate(report.fills):
        key = _fill_key(fill, i)
        if key in known or filled + fill.quantity > record.quantity:
            continue
        known.add(key)
        fills.append(fill)
        new_fills.append(fill)
        filled += fill.quantity
    illegal = None
    target = report.status
    if target not in (S.NEW, record.status) and not can_move(record.status, target):
        illegal = f"illegal transition {record.status} → {target} of {record.client_order_id} ignored"
        log.warning("%s (report: %s)", illegal, report.reason or report.status)
        target = record.status
    if target is S.NEW:
        target = record.status
    if filled == record.quantity:
        target = S.FILLED
    elif target is S.FILLED:  # a FILLED push whose trades have not arrived: not filled until they do
        target = S.PARTIALLY_FILLED if filled else S.ACCEPTED
    elif filled > 0 and target in (S.SUBMITTED, S.ACCEPTED):
        target = S.PARTIALLY_FILLED
    status = target if target == record.status or can_move(record.status, target) else record.status
    reason = report.reason if status != record.status and report.reason else record.reason
    notional = sum((f.price * f.quantity for f in fills), Decimal("0"))
    updated = record.with_changes(
        status=status,
        filled_quantity=filled,
        average_price=(notional / filled).quantize(Decimal("0.0001")) if filled else None,
        fees=sum((f.fees for f in fills), Decimal("0")),
        fills=tuple(fills),
        reason=reason,
        broker_order_id=report.broker_order_id or record.broker_order_id,
    )
    if not record.announced and status not in (S.NEW, S.UNKNOWN, S.REJECTED):
        updated = updated.with_changes(announced=True)
        changes.append(Change(ChangeKind.SUBMITTED, updated))
    running = record.filled_quantity
    for fill in new_fills:
        running += fill.quantity
        changes.append(Change(ChangeKind.FILLED, updated.with_changes(filled_quantity=running), fill))
    if status != record.status:
        if status is S.CANCELLED:
            changes.append(Change(ChangeKind.CANCELLED, updated))
        elif status is S.REJECTED:
            changes.append(Change(ChangeKind.REJECTED, updated))
    return Merge(updated, tuple(changes), illegal)


def mark(record: OrderRecord, status: OrderStatus, reason: str) -> Merge:
    """Move a record without a broker report (in flight → UNKNOWN, never-sent → REJECTED), by the table."""
    if status == record.status:
        return Merge(record, ())
    if not can_move(record.status, status):
        illegal = f"illegal transition {record.status} → {status} of {record.client_order_id} ignored"
        log.warning(illegal)
        return Merge(record, (), illegal)
    updated = record.with_changes(status=status, reason=reason)
    changes: tuple[Change, ...] = ()
    if status is S.REJECTED:
        changes = (Change(ChangeKind.REJECTED, updated),)
    elif status is S.CANCELLED:
        changes = (Change(ChangeKind.CANCELLED, updated),)
    return Merge(updated, changes)
