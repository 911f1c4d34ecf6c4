"""Cash and fees reconciled: the broker's cash and each trade's fees against the journal's (issue 20).

Pure, beside the positions check of `broker/reconcile.py`. The journal's cash is the opening cash moved by
every fill of the day at the fees the journal charged; the broker's is its balance (available + frozen).
A trade whose broker reports its own fees is compared with the journal's charge; where the broker gives
none (older xtquant, PTrade, paper), the journal's charge is compared with the account's fee schedule
(brokers negotiate rates: a schedule set wrong shows here). A difference is reported with its trade ids,
not a break: the positions check already fails closed on a missing fill, and a fee or a transfer
(银证转账) is a money question for the operator, not a reason to stop sending orders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from alphamoe.broker.protocol import BrokerOrder, Fill
from alphamoe.market.fees import CommissionSchedule, trade_fees
from alphamoe.portfolio import AccountState
from alphamoe.types import Side

ZERO = Decimal("0")


@dataclass(frozen=True)
class FeeDifference:
    """One trade (or one order's trades) whose fees differ: the journal's charge and the other side's."""

    client_order_id: str
    trade_ids: tuple[str, ...]
    journal: Decimal
    other: Decimal
    source: str  # "broker": the broker's reported fees; "schedule": the account's fee schedule

    def describe(self) -> str:
        trades = ", ".join(self.trade_ids)
        return (
            f"fees of trade {trades} ({self.client_order_id}): journal {self.journal}, {self.source} {self.other} "
            f"(difference {self.other - self.journal})"
        )


@dataclass(frozen=True)
class CashCheck:
    """The broker's cash against the journal's, and the trades whose fees differ."""

    broker: Decimal
    journal: Decimal
    fees: tuple[FeeDifference, ...] = ()

    @property
    def difference(self) -> Decimal:
        return self.broker - self.journal

    @property
    def ok(self) -> bool:
        return self.difference == 0 and not self.fees

    def describe(self) -> list[str]:
        lines = [d.describe() for d in self.fees]
        if self.difference:
            lines.insert(0, f"cash: broker {self.broker}, journal {self.journal} (difference {self.difference} CNY)")
        return lines


def cash_flow(fills: Iterable[Fill], *, reported: bool = False) -> Decimal:
    """Return what the fills moved the cash by: sells' notional less fees, minus buys' notional plus fees.

    `reported`: at the broker's reported fees where it gives them (its own cash moved by those), else
    at the journal's.
    """
    total = ZERO
    for f in fills:
        fees = f.broker_fees if reported and f.broker_fees is not None else f.fees
        notional = f.quantity * f.price
        total += notional - fees if f.side is Side.SELL else -(notional + fees)
    return total


def opening_cash(account: AccountState, broker_orders: Sequence[BrokerOrder]) -> Decimal:
    """Return the cash at the open: the broker's cash now with today's broker fills undone."""
    return account.cash - cash_flow((f for o in broker_orders for f in o.fills), reported=True)


def schedule_fees(fills: Sequence[Fill], day: date, schedule: CommissionSchedule) -> set[Decimal]:
    """Return the fees the schedule allows for one order's fills: its minimum commission charged per trade,
    or once per order on the cumulative fill (the paper broker's rule: pieces never add a minimum)."""
    per_trade = sum((trade_fees(f.symbol, f.side, f.quantity, f.price, day, schedule) for f in fills), ZERO)
    charged, filled = ZERO, 0
    for f in fills:
        filled += f.quantity
        charged += max(trade_fees(f.symbol, f.side, filled, f.price, day, schedule) - charged, ZERO)
    return {per_trade, charged}


def fee_differences(fills: Iterable[Fill], day: date, schedule: CommissionSchedule | None) -> tuple[FeeDifference, ...]:
    """Return each trade whose broker-reported fees differ from the journal's, and each order without
    reported fees whose journal charge is not one the schedule allows (when a schedule is given)."""
    found: list[FeeDifference] = []
    unreported: dict[str, list[Fill]] = defaultdict(list)
    for f in fills:
        if f.broker_fees is None:
            unreported[f.client_order_id].append(f)
        elif f.broker_fees != f.fees:
            found.append(FeeDifference(f.client_order_id, (f.trade_id,), f.fees, f.broker_fees, "broker"))
    if schedule is not None:
        for cid, order_fills in sorted(unreported.items()):
            journal = sum((f.fees for f in order_fills), ZERO)
            allowed = schedule_fees(order_fills, day, schedule)
            if journal not in allowed:
                ids = tuple(f.trade_id for f in order_fills)
                found.append(FeeDifference(cid, ids, journal, min(allowed, key=lambda a: abs(a - journal)), "schedule"))
    return tuple(found)


def check_cash(
    opening: AccountState,
    account: AccountState,
    fills: Sequence[Fill],
    day: date,
    schedule: CommissionSchedule | None = None,
) -> CashCheck:
    """Compare the broker's cash with the opening's moved by every fill of the day (the journal's, and the
    fills of orders that are not ours) at the journal's fees; list the trades whose fees differ."""
    return CashCheck(
        broker=account.cash,
        journal=opening.cash + cash_flow(fills),
        fees=fee_differences(fills, day, schedule),
    )
