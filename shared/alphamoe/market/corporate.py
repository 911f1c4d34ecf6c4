"""What a holding receives from corporate actions on their ex date: the one rule accounts and backtests apply.

A holder of record (the close before the ex date) gets, per action record:

- bonus and capitalisation shares: ⌊quantity × shares per share⌋. ChinaClear allocates the fractions of a share
  by ranking holders by their fraction and giving one share each until the issue is used up (精确算法,
  中国结算 送股/转增 业务), so a holder gets the floor or one more; the floor is what the holder is owed for
  certain. The new shares list on the ex date's next session (inferred actions; SSE 新增无限售流通股上市日):
  they are not sellable on the ex date, which T+1 already gives, since `roll_to` unlocks them the next day.
- cash dividends: quantity × cash per share, rounded down to the fen (fractions of a fen go the same way).
- tax (rules.toml [[dividend_tax]]): the holding-period rate on the cash and on bonus shares at par.

Simplifications, stated: the dividend is credited on the ex date, not on its pay date (the A-share pay date
is the ex date for most SSE/SZSE cash dividends; an inferred action has none); the tax, which the broker
withholds at the sale by the holding period then, is charged at the credit by the holding period until the
ex date, from the day the position was opened (one date per position, not per lot); rights issues are not
subscribed (an account never buys new shares unasked, so the rights lapse).

The cost basis keeps every CNY paid and loses the net cash received, so value − cost stays the position's P&L.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import Protocol

from alphamoe.data.actions.model import ActionKind, CorporateAction, ex_rights_reference
from alphamoe.market.rules import rulebook

FEN = Decimal("0.01")


@dataclass(frozen=True)
class Entitlement:
    """A holding after the actions of one ex date."""

    quantity: int  # shares held after the ex date
    new_shares: int  # bonus and capitalisation shares received (not sellable on the ex date)
    cost: Decimal  # cost basis after: the old one less the net cash received
    cash: Decimal  # CNY credited: dividends less tax (negative when tax on bonus shares exceeds them)
    tax: Decimal  # CNY of dividend tax charged
    price: Decimal  # the last price carried to the ex date: the exchange's ex-rights reference of it


def add_months(day: date, months: int) -> date:
    """Return `day` moved by whole calendar months, clamped to the month's last day (01-31 + 1 → 02-28/29)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def dividend_tax_rate(day: date, opened: date | None) -> Decimal:
    """Return the dividend tax rate on `day` for shares held since `opened` (None: unknown, the highest band)."""
    rule = rulebook().dividend_tax_rule(day)
    if opened is None:
        return max(b.rate for b in rule.bands)
    for band in rule.bands:
        if band.held_months is None or day <= add_months(opened, band.held_months):
            return band.rate
    return rule.bands[-1].rate


def entitle(
    symbol: str,
    quantity: int,
    cost: Decimal,
    actions: Iterable[CorporateAction],
    *,
    opened: date | None,
    last_price: Decimal = Decimal(0),
) -> Entitlement:
    """Apply the actions of one ex date (`symbol`'s only; others are ignored) to a holding of `quantity` shares
    last valued at `last_price` (the close before the ex date)."""
    cash = taxable = Decimal(0)
    new_shares = 0
    day: date | None = None
    ours = [a for a in actions if a.symbol == symbol]
    for action in ours:
        day = action.ex_date
        if action.kind is ActionKind.CASH_DIVIDEND and action.cash is not None:
            gross = (quantity * action.cash).quantize(FEN, ROUND_DOWN)
            cash += gross
            taxable += gross
        elif action.shares is not None:  # bonus or capitalisation shares
            shares = int(quantity * action.shares)  # floor: quantity and the ratio are positive
            new_shares += shares
            if action.kind is ActionKind.BONUS_SHARES:
                taxable += shares * rulebook().par(symbol)
    tax = Decimal(0) if day is None else (taxable * dividend_tax_rate(day, opened)).quantize(FEN, ROUND_HALF_UP)
    net = cash - tax
    price = ex_rights_reference(last_price, ours) if ours else last_price
    return Entitlement(quantity + new_shares, new_shares, cost - net, net, tax, price)


def carry(
    symbol: str,
    quantity: int,
    cost: Decimal,
    actions: Iterable[CorporateAction],
    *,
    opened: date | None,
    last_price: Decimal,
    day: date,
) -> Entitlement:
    """Carry a holding over the actions of `symbol` with ex dates up to `day`, one ex date at a time, in order.

    The result's `new_shares` are those of `day` (still unlisted at its open); `cash` and `tax` are the totals.
    """
    ours = sorted((a for a in actions if a.symbol == symbol and a.ex_date <= day), key=lambda a: a.ex_date)
    got = Entitlement(quantity, 0, cost, Decimal(0), Decimal(0), last_price)
    for ex_date, group in groupby(ours, key=lambda a: a.ex_date):
        step = entitle(symbol, got.quantity, got.cost, group, opened=opened, last_price=got.price)
        new = step.new_shares if ex_date == day else 0
        got = Entitlement(step.quantity, new, step.cost, got.cash + step.cash, got.tax + step.tax, step.price)
    return got


class ActionSource(Protocol):
    """Where corporate actions are read (a `BarStore`)."""

    def actions_between(self, start: date, end: date, *, known_on: date | None = None) -> list[CorporateAction]: ...


def actions_since(source: ActionSource | None, closed: date, day: date) -> list[CorporateAction]:
    """Return the actions an account closed on `closed` applies by the open of `day` (ex dates after the close)."""
    if source is None or day <= closed:
        return []
    return source.actions_between(closed + timedelta(days=1), day)
