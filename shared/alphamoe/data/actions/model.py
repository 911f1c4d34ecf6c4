"""One corporate action of one stock, with exact per-share amounts, and the exchange's ex-rights reference.

Each record is one kind of entitlement on one ex date, so an account applies it alone: 10送5派1 is a
bonus-shares record (0.5 per share) and a cash-dividend record (0.1 per share) with the same dates. The
exchanges publish the ex-rights reference price (除权除息参考价) of the ex date from all of them at once:

    reference = (previous close − cash + rights price × rights ratio) / (1 + bonus + capitalisation + rights ratio)

rounded half up to the tick. `ex_rights_reference` is that rule, written once: the quality check compares it
with the exchange's previous close and the inference solves it backwards.

Dates: the ex date (除权除息日) is when an account applies the action; the record date (股权登记日) is the
session before it; the pay date (派息日) is when cash arrives; the listing date (红股上市日/配股上市日) is when
new shares trade. `announced` is the first day the action was public (the implementation announcement): what
a point-in-time reader may know. An inferred action is known on its ex date, when the exchange prints the
reference price before the open.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alphamoe.market.ticks import round_half_up
from alphamoe.types import Symbol

PLACES = 8  # decimals kept of a per-share amount (sources publish at most 6; floats beyond are noise)


class ActionKind(StrEnum):
    """What a holder receives on the ex date."""

    CASH_DIVIDEND = "cash_dividend"  # 派息: CNY per share, before tax
    BONUS_SHARES = "bonus_shares"  # 送股: new shares per share, from profits (taxed at face value)
    CAPITALISATION_SHARES = "capitalisation_shares"  # 转增: new shares per share, from capital reserve
    RIGHTS_ISSUE = "rights_issue"  # 配股: the right to buy `rights_ratio` shares per share at `rights_price`


_FIELDS = {
    ActionKind.CASH_DIVIDEND: ("cash",),
    ActionKind.BONUS_SHARES: ("shares",),
    ActionKind.CAPITALISATION_SHARES: ("shares",),
    ActionKind.RIGHTS_ISSUE: ("rights_ratio", "rights_price"),
}
_AMOUNTS = ("cash", "shares", "rights_ratio", "rights_price")


class CorporateAction(BaseModel):
    """One entitlement of one stock on one ex date; only the amounts of its kind are set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: Symbol
    kind: ActionKind
    ex_date: date
    cash: Decimal | None = Field(None, gt=0, description="CNY per share before tax (cash dividend)")
    shares: Decimal | None = Field(None, gt=0, description="new shares per share held (bonus, capitalisation)")
    rights_ratio: Decimal | None = Field(None, gt=0, description="shares offered per share held (rights issue)")
    rights_price: Decimal | None = Field(None, gt=0, description="CNY per offered share (rights issue)")
    record_date: date | None = None
    pay_date: date | None = Field(None, description="cash arrives (cash dividend); None when unpublished")
    listing_date: date | None = Field(None, description="the new shares' first trading day; None when unpublished")
    announced: date | None = Field(None, description="first public day; None: known on the ex date")
    source: str = Field(min_length=1, description="where the record came from, e.g. tushare:dividend")
    inferred: bool = False

    @model_validator(mode="after")
    def _amounts_of_kind(self) -> CorporateAction:
        wanted = _FIELDS[self.kind]
        missing = [f for f in wanted if getattr(self, f) is None]
        extra = [f for f in _AMOUNTS if f not in wanted and getattr(self, f) is not None]
        if missing or extra:
            given = self._given()
            raise ValueError(f"{self.kind} of {self.symbol} on {self.ex_date} needs {wanted}, was given {given}")
        for name in wanted:
            value = getattr(self, name)
            if value != value.quantize(Decimal(1).scaleb(-PLACES)):
                raise ValueError(f"{name} of {self.symbol} on {self.ex_date} has more than {PLACES} decimals: {value}")
        return self

    def _given(self) -> dict[str, str]:
        return {f: str(getattr(self, f)) for f in _AMOUNTS if getattr(self, f) is not None}

    @property
    def known_on(self) -> date:
        """Return the first day a point-in-time reader may see this action."""
        return self.ex_date if self.announced is None else min(self.announced, self.ex_date)


def per_share(value: Decimal) -> Decimal:
    """Return an amount with at most PLACES decimals (a float source's noise past them dropped), normalised."""
    quantized = value.quantize(Decimal(1).scaleb(-PLACES))
    return quantized.normalize() if quantized != 0 else Decimal(0)


def reference_price(
    previous_close: Decimal,
    *,
    cash: Decimal = Decimal(0),
    shares: Decimal = Decimal(0),
    rights_ratio: Decimal = Decimal(0),
    rights_price: Decimal = Decimal(0),
) -> Decimal:
    """Return the exchange's ex-rights reference price from per-share totals, half up to the tick."""
    return round_half_up((previous_close - cash + rights_price * rights_ratio) / (1 + shares + rights_ratio))


def ex_rights_reference(previous_close: Decimal, actions: Iterable[CorporateAction]) -> Decimal:
    """Return the exchange's ex-rights reference price after `actions` (one stock, one ex date), to the tick.

    Cash counts before tax: the exchanges deduct the declared dividend, whatever each holder's tax.
    """
    cash = shares = rights = paid = Decimal(0)
    for action in actions:
        cash += action.cash or 0
        shares += action.shares or 0
        if action.rights_ratio is not None and action.rights_price is not None:
            rights += action.rights_ratio
            paid += action.rights_ratio * action.rights_price
    price = paid / rights if rights else Decimal(0)
    return reference_price(previous_close, cash=cash, shares=shares, rights_ratio=rights, rights_price=price)
