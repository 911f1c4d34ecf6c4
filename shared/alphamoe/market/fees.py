"""Trading fees: broker commission with a minimum, dated stamp duty and transfer fee, in exact fen."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.market.boards import exchange_of
from alphamoe.market.rules import rulebook
from alphamoe.types import Side

FEN = Decimal("0.01")


class CommissionSchedule(BaseModel):
    """The broker's commission terms; the exchanges' own fees come from the rule book."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    rate: Decimal = Field(Decimal("0.00025"), ge=0, le=Decimal("0.003"), description="fraction of notional")
    minimum: Decimal = Field(Decimal("5"), ge=0, description="CNY per order")


def _fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def stamp_duty(side: Side, notional: Decimal, day: date) -> Decimal:
    for rule in rulebook().stamp_duty:
        if rule.applies(day) and side in rule.sides:
            return _fen(notional * rule.rate)
    return Decimal("0.00")


def transfer_fee(symbol: str, notional: Decimal, day: date) -> Decimal:
    exchange = exchange_of(symbol)
    for rule in rulebook().transfer_fee:
        if rule.applies(day) and exchange in rule.exchanges:
            return _fen(notional * rule.rate)
    return Decimal("0.00")


def commission(notional: Decimal, schedule: CommissionSchedule) -> Decimal:
    return _fen(max(notional * schedule.rate, schedule.minimum))


def trade_fees(symbol: str, side: Side, notional: Decimal, day: date, schedule: CommissionSchedule) -> Decimal:
    """Return all fees of one fill (commission + stamp duty + transfer fee), rounded to the fen."""
    if notional <= 0:
        return Decimal("0.00")
    return commission(notional, schedule) + stamp_duty(side, notional, day) + transfer_fee(symbol, notional, day)
