"""What a holding receives from corporate actions on their ex date: the one rule accounts and backtests apply.

A holder of record (the close before the ex date) gets, per action record:

- bonus and capitalisation shares: ⌊quantity × shares per share⌋. ChinaClear allocates the fractions of a share
  by ranking holders by their fraction and giving one share each until the issue is used up (精确算法,
  中国结算 送股/转增 业务), so a holder gets the floor or one more; the floor is what the holder is owed for
  certain. The new shares list on the ex date's next session (inferred actions; SSE 新增无限售流通股上市日):
  they are not sellable on the ex date, which T+1 already gives, since `roll_to` unlocks them the next day.
- cash dividends: quantity × cash per share, rounded down to the fen (fractions of a fen go the same way).
- tax (rules.toml [[dividend_tax]], `market.dividend_tax`): where the era withholds it at the credit (before
  2013), the holding-period rate on the cash and on bonus shares at par; where it is collected at the sale
  (since 2013), none now: the dividend is paid gross and the holding's tax lots carry it until a sale.

The dividend is owed from the ex date and paid on its pay date (派息日): an action whose pay date is after its
ex date leaves a `Receivable` the account counts in its equity (so equity does not jump on the ex date) and
`settle` turns into cash at the open of the first session on or after the pay date. An action without a
pay date (every inferred one: the ganlei layout publishes none) or paid on its ex date (most SSE/SZSE cash
dividends since the 2000s) is cash at the ex date's open.

Simplifications, stated: a tax withheld at the credit (before 2013) takes the holding period from the day
the position was opened (one date per position; those eras had one band, so it does not matter); rights
issues are not subscribed (an account never buys new shares unasked, so the rights lapse).

The cost basis keeps every CNY paid and loses the net cash received, so value − cost stays the position's P&L.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.data.actions.model import ActionKind, CorporateAction, ex_rights_reference
from alphamoe.market.dividend_tax import TaxLot, accrue, collected_at_sale, dividend_tax_rate, one_lot
from alphamoe.market.rules import rulebook
from alphamoe.types import Symbol

FEN = Decimal("0.01")


class Receivable(BaseModel):
    """A dividend gone ex and not yet paid: part of the account's equity, cash on its pay date."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    symbol: Symbol
    ex_date: date
    pay_date: date = Field(description="the first day the cash is the account's (派息日)")
    amount: Decimal = Field(gt=0, description="CNY: the dividend less tax")


@dataclass(frozen=True)
class Entitlement:
    """A holding after the actions of one ex date."""

    quantity: int  # shares held after the ex date
    new_shares: int  # bonus and capitalisation shares received (not sellable on the ex date)
    cost: Decimal  # cost basis after: the old one less the net cash received
    cash: Decimal  # CNY owed: dividends less tax (negative when tax on bonus shares exceeds them)
    tax: Decimal  # CNY of dividend tax charged
    price: Decimal  # the last price carried to the ex date: the exchange's ex-rights reference of it
    receivables: tuple[Receivable, ...] = ()  # the part of `cash` paid after the ex date
    lots: tuple[TaxLot, ...] = ()  # the holding's tax lots after (`market.dividend_tax`)

    @property
    def paid(self) -> Decimal:
        """Return the CNY credited at the ex date's open: `cash` less what is paid later."""
        return self.cash - owed(self.receivables)


def pay_date(actions: Iterable[CorporateAction]) -> date | None:
    """Return the day the cash of one ex date's actions is paid, when after the ex date (else None: at once)."""
    later = [a.pay_date for a in actions if a.cash is not None and a.pay_date is not None and a.pay_date > a.ex_date]
    return max(later, default=None)


def settle(receivables: Iterable[Receivable], day: date) -> tuple[Decimal, tuple[Receivable, ...]]:
    """Return the CNY of `receivables` paid by the open of `day` (pay date on or before it) and those still owed."""
    paid, owed = Decimal(0), []
    for r in receivables:
        if r.pay_date <= day:
            paid += r.amount
        else:
            owed.append(r)
    return paid, tuple(owed)


def owed(receivables: Iterable[Receivable]) -> Decimal:
    """Return the CNY of dividends gone ex and not yet paid."""
    return sum((r.amount for r in receivables), Decimal(0))


def entitle(
    symbol: str,
    quantity: int,
    cost: Decimal,
    actions: Iterable[CorporateAction],
    *,
    opened: date | None,
    last_price: Decimal = Decimal(0),
    lots: Sequence[TaxLot] | None = None,
) -> Entitlement:
    """Apply the actions of one ex date (`symbol`'s only; others are ignored) to a holding of `quantity` shares
    last valued at `last_price` (the close before the ex date) held as `lots` (None: one lot opened on `opened`)."""
    cash = taxable = Decimal(0)
    new_shares = 0
    day: date | None = None
    ours = [a for a in actions if a.symbol == symbol]
    for action in ours:
        day = action.ex_date
        if action.kind is ActionKind.CASH_DIVIDEND and action.cash is not None:
            gross = (quantity * action.cash).quantize(FEN, ROUND_DOWN)
            cash += gross
            if not collected_at_sale(action.ex_date):
                taxable += gross
        elif action.shares is not None:  # bonus or capitalisation shares
            shares = int(quantity * action.shares)  # floor: quantity and the ratio are positive
            new_shares += shares
            if action.kind is ActionKind.BONUS_SHARES and not collected_at_sale(action.ex_date):
                taxable += shares * rulebook().par(symbol)
    tax = Decimal(0) if day is None else (taxable * dividend_tax_rate(day, opened)).quantize(FEN, ROUND_HALF_UP)
    net = cash - tax
    price = ex_rights_reference(last_price, ours) if ours else last_price
    pays = pay_date(ours)
    later = (
        ()
        if pays is None or day is None or net <= 0
        else (Receivable(symbol=symbol, ex_date=day, pay_date=pays, amount=net),)
    )
    held = tuple(lots) if lots else one_lot(quantity, opened)
    after = accrue(held, ours, new_shares, rulebook().par(symbol)) if ours else held
    return Entitlement(quantity + new_shares, new_shares, cost - net, net, tax, price, later, after)


def carry(
    symbol: str,
    quantity: int,
    cost: Decimal,
    actions: Iterable[CorporateAction],
    *,
    opened: date | None,
    last_price: Decimal,
    day: date,
    lots: Sequence[TaxLot] | None = None,
) -> Entitlement:
    """Carry a holding over the actions of `symbol` with ex dates up to `day`, one ex date at a time, in order.

    The result's `new_shares` are those of `day` (still unlisted at its open); `cash`, `tax` and `receivables`
    are the totals (a receivable may be due by `day` already: the caller `settle`s them all); `lots` those
    of `entitle`.
    """
    ours = sorted((a for a in actions if a.symbol == symbol and a.ex_date <= day), key=lambda a: a.ex_date)
    held = tuple(lots) if lots else one_lot(quantity, opened)
    got = Entitlement(quantity, 0, cost, Decimal(0), Decimal(0), last_price, (), held)
    for ex_date, group in groupby(ours, key=lambda a: a.ex_date):
        step = entitle(symbol, got.quantity, got.cost, group, opened=opened, last_price=got.price, lots=got.lots)
        new = step.new_shares if ex_date == day else 0
        got = Entitlement(
            step.quantity,
            new,
            step.cost,
            got.cash + step.cash,
            got.tax + step.tax,
            step.price,
            got.receivables + step.receivables,
            step.lots,
        )
    return got


class ActionSource(Protocol):
    """Where corporate actions are read (a `BarStore`)."""

    def actions_between(self, start: date, end: date, *, known_on: date | None = None) -> list[CorporateAction]: ...


def actions_since(source: ActionSource | None, closed: date, day: date) -> list[CorporateAction]:
    """Return the actions an account closed on `closed` applies by the open of `day` (ex dates after the close)."""
    if source is None or day <= closed:
        return []
    return source.actions_between(closed + timedelta(days=1), day)
