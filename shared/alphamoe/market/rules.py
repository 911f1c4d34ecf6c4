"""Load the dated A-share rule book (rules.toml) into typed, frozen models."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.errors import ConfigurationError
from alphamoe.types import Board, Exchange, Side

_ONE_CNY = Decimal(1)


class _Dated(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    start: date = date(1990, 12, 19)
    end: date | None = None

    def applies(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class LimitRule(_Dated):
    board: Board
    st: bool
    pct: Decimal


class NoLimitDaysRule(_Dated):
    board: Board
    days: int


class LotRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    board: Board
    min_buy: int
    buy_step: int


class StampDutyRule(_Dated):
    rate: Decimal = Field(ge=0)
    sides: tuple[Side, ...]
    source: str = Field(min_length=1)


class TransferFeeRule(_Dated):
    """A transfer fee era: `rate` × notional + `par_rate` × shares × par value (Shanghai before 2015-08-01)."""

    rate: Decimal = Field(Decimal(0), ge=0)
    par_rate: Decimal = Field(Decimal(0), ge=0)
    exchanges: tuple[Exchange, ...]
    source: str = Field(min_length=1)


class ParValueRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    symbol: str
    value: Decimal = Field(gt=0)
    source: str = Field(min_length=1)


class TaxBand(BaseModel):
    """One holding-period band of a dividend tax era: `rate` for holdings of at most `held_months` (None: any)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    held_months: int | None = Field(None, gt=0)
    rate: Decimal = Field(ge=0, lt=1)


class DividendTaxRule(_Dated):
    """A dividend tax era (差别化红利税): bands by holding period, shortest first, the last without a bound."""

    bands: tuple[TaxBand, ...] = Field(min_length=1)
    collect: Literal["credit", "sale"] = Field(
        "credit",
        description="credit: withheld from the dividend when paid; sale: collected when the shares are sold, "
        "by the holding period of the sold lots (market/dividend_tax.py)",
    )
    source: str = Field(min_length=1)


class RuleBook(BaseModel):
    """Every exchange rule alphamoe applies, each with the dates it was in force."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    tick: Decimal
    limit: tuple[LimitRule, ...]
    no_limit_days: tuple[NoLimitDaysRule, ...]
    lot: tuple[LotRule, ...]
    stamp_duty: tuple[StampDutyRule, ...]
    transfer_fee: tuple[TransferFeeRule, ...]
    par_value: tuple[ParValueRule, ...] = ()
    dividend_tax: tuple[DividendTaxRule, ...] = ()

    def limit_pct(self, board: Board, day: date, *, st: bool) -> Decimal | None:
        """Return the band for board/ST status on day, or None where no daily limit applied."""
        for rule in self.limit:
            if rule.board == board and rule.st == st and rule.applies(day):
                return rule.pct
        if st:  # boards without a separate ST band (and days before ST existed) use the normal one
            return self.limit_pct(board, day, st=False)
        return None

    def no_limit_listing_days(self, board: Board, day: date) -> int:
        for rule in self.no_limit_days:
            if rule.board == board and rule.applies(day):
                return rule.days
        return 0

    def par(self, symbol: str) -> Decimal:
        """Return the par value of one share: 1 CNY unless rules.toml lists the symbol."""
        for rule in self.par_value:
            if rule.symbol == symbol:
                return rule.value
        return _ONE_CNY

    def dividend_tax_rule(self, day: date) -> DividendTaxRule:
        for rule in self.dividend_tax:
            if rule.applies(day):
                return rule
        raise ConfigurationError(f"rules.toml has no [[dividend_tax]] era covering {day}")

    def lot_rule(self, board: Board) -> LotRule:
        for rule in self.lot:
            if rule.board == board:
                return rule
        raise ConfigurationError(f"rules.toml has no [[lot]] entry for board {board.value!r}")


@cache
def rulebook() -> RuleBook:
    """Return the packaged rule book, parsed once."""
    text = resources.files("alphamoe.market").joinpath("rules.toml").read_text(encoding="utf-8")
    return RuleBook.model_validate(tomllib.loads(text))
