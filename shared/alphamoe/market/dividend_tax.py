"""The dividend tax (差别化红利税) by holding period, and the tax lots it is collected on at the sale.

Eras are data (rules.toml [[dividend_tax]]): bands by holding period and `collect`, when the tax is taken.
Before 2013 the company withheld it from the dividend it paid (`collect = "credit"`: `market.corporate`
deducts it at the credit). Since 2013-01-01 (财税〔2012〕85号, 〔2015〕101号) the dividend is paid gross and
the broker deducts the tax from the cash account when the shares are sold (`collect = "sale"`), first in
first out, at the band of each sold lot's holding period on the sale day; shares never sold are never taxed.

So an account keeps its shares as tax lots (`TaxLot`: the day bought, shares, the dividends they received
untaxed): a buy adds a lot (one per day), an ex date adds each lot's dividend and bonus shares (bonus
shares join the lot they came from, with its date: their holding period is the original shares'), a sale
takes lots oldest first and `tax_on_sale` charges them. An account's equity does not count the tax owed on
unsold shares: the broker does not either, and it is owed only if they are sold within the bands.

Money: a lot's untaxed amount is whole fen; a partial sale of a lot takes its pro-rata share rounded down to
the fen (the rest stays with the lot, so nothing is lost or taxed twice), and each piece is taxed at its
rate rounded half up to the fen (`lot_tax_fen`, the one integer rule the compiled backtest runs too).
Stated simplification: a lot's dividend is its own shares × cash per share rounded down to the fen, so
the lots' amounts may total a few fen less than the position's dividend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.data.actions.model import ActionKind, CorporateAction
from alphamoe.market.rules import rulebook

FEN = Decimal("0.01")
BASIS_POINTS = 10_000


class TaxLot(BaseModel):
    """Shares bought on one day (and the bonus shares they received), with their dividends not yet taxed."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    acquired: date | None = Field(description="the day bought; None: unknown (taxed at the highest band)")
    quantity: int = Field(gt=0)
    untaxed: Decimal = Field(
        Decimal(0), ge=0, description="CNY of dividends (and bonus shares at par) received, tax due at the sale"
    )


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


def collected_at_sale(ex_date: date) -> bool:
    """Return whether the tax on a dividend gone ex on `ex_date` is collected at the sale (else at the credit)."""
    return rulebook().dividend_tax_rule(ex_date).collect == "sale"


def rate_bp(rate: Decimal) -> int:
    """Return a tax rate in whole basis points (every rate in rules.toml is one)."""
    bp = rate * BASIS_POINTS
    if bp != bp.to_integral_value():
        raise ValueError(f"dividend tax rate {rate} is not a whole number of basis points")
    return int(bp)


def lot_tax_fen(untaxed: int, take: int, quantity: int, bp: int) -> tuple[int, int]:
    """Return (the fen of `untaxed` that `take` of a lot's `quantity` shares carry, the tax on them in fen):
    the pro-rata share rounded down (the whole when all are taken), taxed at `bp` rounded half up."""
    portion = untaxed if take == quantity else untaxed * take // quantity
    return portion, (portion * bp + BASIS_POINTS // 2) // BASIS_POINTS


def rates_bp(days: Sequence[date], acquired: date | None) -> list[int]:
    """Return `dividend_tax_rate` in basis points on each of `days` (ascending) for shares bought on `acquired`,
    evaluated only where it can change: an era's start, the day after a band's holding period ends."""
    book = rulebook().dividend_tax
    steps = {rule.start for rule in book}
    if acquired is not None:
        months = {band.held_months for rule in book for band in rule.bands if band.held_months is not None}
        steps |= {add_months(acquired, m) + timedelta(days=1) for m in months}
    ahead = sorted(steps, reverse=True)
    out: list[int] = []
    bp = 0
    for i, day in enumerate(days):
        changed = i == 0
        while ahead and ahead[-1] <= day:
            ahead.pop()
            changed = True
        if changed:
            bp = rate_bp(dividend_tax_rate(day, acquired))
        out.append(bp)
    return out


def one_lot(quantity: int, opened: date | None) -> tuple[TaxLot, ...]:
    """Return the lots of a holding known only by its quantity and opening day (no dividend untaxed)."""
    return (TaxLot(acquired=opened, quantity=quantity),) if quantity > 0 else ()


def bought(lots: Sequence[TaxLot], day: date, quantity: int) -> tuple[TaxLot, ...]:
    """Return the lots after buying `quantity` shares on `day` (one lot per day: a second buy joins it)."""
    if lots and lots[-1].acquired == day:
        last = lots[-1]
        return (*lots[:-1], TaxLot(acquired=day, quantity=last.quantity + quantity, untaxed=last.untaxed))
    return (*lots, TaxLot(acquired=day, quantity=quantity))


def tax_on_sale(lots: Sequence[TaxLot], quantity: int, day: date) -> tuple[Decimal, tuple[TaxLot, ...]]:
    """Return the dividend tax in CNY the broker deducts for selling `quantity` shares on `day`, and the lots
    left: the oldest lots first, each piece at its holding period's band on `day`."""
    left, tax, kept = quantity, 0, []
    for lot in lots:
        if left == 0:
            kept.append(lot)
            continue
        take = min(left, lot.quantity)
        untaxed = int(lot.untaxed.scaleb(2))
        bp = rate_bp(dividend_tax_rate(day, lot.acquired)) if untaxed else 0  # nothing untaxed: no tax at any rate
        portion, fen = lot_tax_fen(untaxed, take, lot.quantity, bp)
        tax, left = tax + fen, left - take
        if take < lot.quantity:
            kept.append(TaxLot(acquired=lot.acquired, quantity=lot.quantity - take, untaxed=_cny(untaxed - portion)))
    if left:
        raise ValueError(f"SELL {quantity} exceeds the {quantity - left} shares of the tax lots")
    return (_cny(tax) if tax else Decimal(0)), tuple(kept)


def accrue(
    lots: Sequence[TaxLot], actions: Iterable[CorporateAction], new_shares: int, par: Decimal
) -> tuple[TaxLot, ...]:
    """Return the lots after the actions of one ex date: their bonus and capitalisation shares (`new_shares`
    in all, as `corporate.entitle` gives the holding: each lot its floor, the rest one share each from the
    oldest lot), and, when the tax is collected at the sale, the dividend and bonus shares at `par` untaxed."""
    quantities = [lot.quantity for lot in lots]
    added = [0] * len(lots)
    untaxed = [int(lot.untaxed.scaleb(2)) for lot in lots]
    total = sum(quantities)
    given = 0
    for action in actions:
        at_sale = collected_at_sale(action.ex_date)
        if action.kind is ActionKind.CASH_DIVIDEND and action.cash is not None:
            if at_sale:
                for k, q in enumerate(quantities):
                    untaxed[k] += int((q * action.cash).quantize(FEN, ROUND_DOWN).scaleb(2))
        elif action.shares is not None:
            shares = [int(q * action.shares) for q in quantities]
            rest = int(total * action.shares) - sum(shares)
            for k in range(rest):
                shares[k % len(shares)] += 1
            given += sum(shares)
            for k, n in enumerate(shares):
                added[k] += n
                if at_sale and action.kind is ActionKind.BONUS_SHARES:
                    untaxed[k] += int((n * par).scaleb(2))
    if given != new_shares:
        raise AssertionError(f"tax lots got {given} new shares, the holding {new_shares}")
    return tuple(
        TaxLot(acquired=lot.acquired, quantity=lot.quantity + n, untaxed=_cny(u))
        for lot, n, u in zip(lots, added, untaxed, strict=True)
    )


def untaxed(lots: Iterable[TaxLot]) -> Decimal:
    """Return the CNY of dividends the lots received whose tax is collected if they are sold."""
    return sum((lot.untaxed for lot in lots), Decimal(0))


def _cny(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)
