"""Reconciliation: the journal against the broker's orders, trades and positions (DESIGN.md §6).

Pure: the broker's truth and the journal go in, what to do comes out. Broker orders are matched to
journal records by client order id (xtquant's `order_remark`); a broker that cannot carry a remark
(PTrade) is matched on the order's own terms when exactly one unsent record fits. What cannot be
explained is a break, and a break fails execute closed until an operator looks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from alphamoe.broker.cash_reconcile import CashCheck, check_cash, opening_cash
from alphamoe.broker.orders import TERMINAL, Merge, OrderRecord, merge
from alphamoe.broker.protocol import BrokerOrder
from alphamoe.data.actions.model import CorporateAction
from alphamoe.market.corporate import entitle
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState, Position
from alphamoe.types import OrderStatus, Side

# sent but with no answer, or never sent: if the broker has no such order, it is safe to send it now
UNSENT = frozenset({OrderStatus.NEW, OrderStatus.UNKNOWN})


@dataclass(frozen=True)
class Reconciliation:
    merges: tuple[Merge, ...] = ()
    resend: tuple[OrderRecord, ...] = ()
    unknown: tuple[BrokerOrder, ...] = ()
    breaks: tuple[str, ...] = ()
    matched: int = 0
    notes: tuple[str, ...] = field(default=())
    cash: CashCheck | None = None
    """The broker's cash and each trade's fees against the journal's (reported, not a break)."""

    @property
    def ok(self) -> bool:
        return not self.breaks

    def summary(self) -> str:
        parts = [f"{self.matched} orders matched", f"{sum(bool(m.changes) for m in self.merges)} updated"]
        if self.resend:
            parts.append(f"{len(self.resend)} unsent to send")
        if self.unknown:
            ids = ", ".join(o.broker_order_id or o.client_order_id for o in self.unknown[:5])
            parts.append(f"{len(self.unknown)} broker orders not ours, not adopted ({ids})")
        if self.cash is not None and not self.cash.ok:
            parts.append("CASH/FEES DIFFER: " + "; ".join(self.cash.describe()[:5]))
        if self.breaks:
            parts.append("BREAKS: " + "; ".join(self.breaks[:5]))
        return ", ".join(parts)


def _terms(o: OrderRecord | BrokerOrder) -> tuple[str, Side, int, str]:
    return o.symbol, o.side, o.quantity, f"{o.limit_price:.2f}"


def net_fills(orders: Iterable[BrokerOrder | OrderRecord]) -> dict[str, int]:
    """Return shares bought minus sold per symbol over the orders' fills."""
    net: dict[str, int] = defaultdict(int)
    for o in orders:
        sign = 1 if o.side is Side.BUY else -1
        net[o.symbol] += sign * sum(f.quantity for f in o.fills)
    return net


def derive_opening(account: AccountState, broker_orders: Sequence[BrokerOrder]) -> AccountState:
    """Return the account at the open: today's broker positions and cash with today's broker fills undone."""
    held = {p.symbol: p for p in account.positions}
    net = net_fills(broker_orders)
    positions = []
    for symbol in sorted(set(held) | set(net)):
        p = held.get(symbol)
        quantity = (p.quantity if p else 0) - net.get(symbol, 0)
        if quantity > 0:
            price = p.last_price if p else 0
            positions.append(
                Position(symbol=symbol, quantity=quantity, sellable=quantity, cost=price * quantity, last_price=price)
            )
    return AccountState(
        account_id=account.account_id,
        trading_day=account.trading_day,
        cash=opening_cash(account, broker_orders),
        positions=tuple(positions),
        receivables=account.receivables,
    )


def reconcile(
    records: Sequence[OrderRecord],
    broker_orders: Sequence[BrokerOrder],
    account: AccountState,
    opening: AccountState | None,
    actions: Sequence[CorporateAction] = (),
    fees: CommissionSchedule | None = None,
) -> Reconciliation:
    """Compare the day's journal with the broker's truth; return merges, orders to send, unknowns and breaks.

    `actions`: the corporate actions gone ex since `opening` was taken; a position changed by exactly their
    new shares is expected (noted, not a break). With `opening`, the broker's cash and each trade's fees
    are compared with the journal's (`cash_reconcile.check_cash`; `fees`: the account's schedule).
    """
    by_cid = {r.client_order_id: r for r in records}
    remaining = dict(by_cid)
    merges: list[Merge] = []
    unknown: list[BrokerOrder] = []
    breaks: list[str] = []
    notes: list[str] = []
    unmatched: list[BrokerOrder] = []
    for report in broker_orders:
        record = remaining.pop(report.client_order_id, None)
        if record is None:
            unmatched.append(report)
            continue
        try:
            merges.append(merge(record, report))
        except ValueError as exc:
            breaks.append(str(exc))
    for report in unmatched:
        # no remark: match on the order's terms, only when exactly one unsent record fits
        fits = [r for r in remaining.values() if r.status in UNSENT and _terms(r) == _terms(report)]
        if len(fits) == 1:
            record = remaining.pop(fits[0].client_order_id)
            adopted = BrokerOrder.model_validate({**report.model_dump(), "client_order_id": record.client_order_id})
            merges.append(merge(record, adopted))
            notes.append(f"broker order {report.broker_order_id} matched to {record.client_order_id} by its terms")
        else:
            unknown.append(report)
    resend: list[OrderRecord] = []
    for record in remaining.values():
        if record.status in UNSENT and not record.fills:
            resend.append(record)
        elif record.status is OrderStatus.REJECTED and not record.broker_order_id:
            continue  # refused before it reached the broker: nothing to find there
        else:
            breaks.append(
                f"journal order {record.client_order_id} is {record.status}; the broker has no order with that remark"
            )
    matched = len(merges)
    cash = None
    if opening is not None and not breaks:
        found, explained = _position_breaks(opening, account, [m.record for m in merges], unknown, actions)
        breaks.extend(found)
        notes.extend(explained)
        fills = [f for m in merges for f in m.record.fills] + [f for o in unknown for f in o.fills]
        cash = check_cash(opening, account, fills, account.trading_day, fees)
    for m in merges:
        if m.record.status in UNSENT and m.record.status is not OrderStatus.NEW:
            notes.append(f"{m.record.client_order_id} still {m.record.status} at the broker")
    return Reconciliation(
        merges=tuple(merges),
        resend=tuple(resend),
        unknown=tuple(unknown),
        breaks=tuple(breaks),
        matched=matched,
        notes=tuple(notes),
        cash=cash,
    )


def _position_breaks(
    opening: AccountState,
    account: AccountState,
    records: Sequence[OrderRecord],
    unknown: Sequence[BrokerOrder],
    actions: Sequence[CorporateAction],
) -> tuple[list[str], list[str]]:
    # broker positions must equal the opening plus every fill of the day (ours and the unknown orders'),
    # or that with the new shares of a known corporate action: returns (breaks, notes)
    held = {p.symbol: p.quantity for p in opening.positions}
    fills = net_fills([*records, *unknown])
    actual = {p.symbol: p.quantity for p in account.positions}
    breaks, notes = [], []
    for symbol in sorted(set(held) | set(fills) | set(actual)):
        want, have = held.get(symbol, 0) + fills.get(symbol, 0), actual.get(symbol, 0)
        new = _new_shares(symbol, held.get(symbol, 0), actions)
        if want < 0:
            breaks.append(f"{symbol}: fills sell {-want} more shares than were held")
        elif new and have - want in new:
            notes.append(f"{symbol}: broker holds {have - want} new shares of its corporate action")
        elif want != have:
            breaks.append(f"{symbol}: broker holds {have} shares, opening plus fills gives {want}")
    return breaks, notes


def _new_shares(symbol: str, quantity: int, actions: Sequence[CorporateAction]) -> set[int]:
    # the new shares a holder may get: the floor of the entitlement, or one more per share record from
    # ChinaClear's allocation of the fractions (market/corporate.py)
    ours = [a for a in actions if a.symbol == symbol and a.shares is not None]
    if not ours or quantity <= 0:
        return set()
    floor = sum(entitle(symbol, quantity, Decimal(0), [a], opened=None).new_shares for a in ours)
    return {floor + extra for extra in range(len(ours) + 1) if floor + extra > 0}


def is_open(record: OrderRecord) -> bool:
    return record.status not in TERMINAL
