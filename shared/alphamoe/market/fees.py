"""Trading fees: broker commission with a minimum, dated stamp duty and transfer fee, in exact fen.

Every fee is a function of the fill (symbol, side, quantity, price) and its day: the Shanghai transfer fee
before 2015-08-01 was charged on the par value of the shares traded, not on the notional, so the quantity
is part of the input. Live, paper, sizing, risk, both backtest engines and Backtrader all call `trade_fees`
or `day_fees` (the compiled engine its integer transcription, `backtest.compiled.money.fee`).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.market.boards import exchange_of
from alphamoe.market.rules import rulebook
from alphamoe.types import Exchange, Side

FEN = Decimal("0.01")
_NONE = Decimal("0.00")  # a fee not charged (Decimals are immutable: one instance serves every fill)


class CommissionSchedule(BaseModel):
    """The broker's commission terms; the exchanges' own fees come from the rule book."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    rate: Decimal = Field(Decimal("0.00025"), ge=0, le=Decimal("0.003"), description="fraction of notional")
    minimum: Decimal = Field(Decimal("5"), ge=0, description="CNY per order")


class TransferRate(NamedTuple):
    """One day's transfer fee on one exchange: a fraction of the notional and of the par value traded."""

    value: Decimal
    par: Decimal


def _fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, ROUND_HALF_UP)


@lru_cache(maxsize=256)
def stamp_duty_rate(side: Side, day: date) -> Decimal | None:
    """Return the stamp duty rate in force for `side` on `day` (None: no duty), looked up once per day."""
    for rule in rulebook().stamp_duty:
        if rule.applies(day) and side in rule.sides:
            return rule.rate
    return None


@lru_cache(maxsize=256)
def transfer_fee_rate(exchange: Exchange, day: date) -> TransferRate | None:
    """Return the transfer fee in force on `exchange` on `day` (None: no fee), looked up once per day."""
    for rule in rulebook().transfer_fee:
        if rule.applies(day) and exchange in rule.exchanges:
            return TransferRate(rule.rate, rule.par_rate)
    return None


@lru_cache(maxsize=16384)
def _exchange(symbol: str) -> Exchange:
    return exchange_of(symbol)  # a DataError is raised again on every call: lru_cache keeps no exceptions


@lru_cache(maxsize=16384)
def par_value(symbol: str) -> Decimal:
    """Return the par value of one share of `symbol` (1 CNY unless rules.toml lists another)."""
    return rulebook().par(symbol)


def _transfer_amount(rate: TransferRate, symbol: str, quantity: int, notional: Decimal) -> Decimal:
    amount = notional * rate.value
    if rate.par:
        amount += quantity * par_value(symbol) * rate.par
    return amount.quantize(FEN, ROUND_HALF_UP)


def stamp_duty(side: Side, notional: Decimal, day: date) -> Decimal:
    rate = stamp_duty_rate(side, day)
    return Decimal("0.00") if rate is None else _fen(notional * rate)


def transfer_fee(symbol: str, quantity: int, price: Decimal, day: date) -> Decimal:
    """Return the transfer fee of `quantity` shares at `price`: on the notional, or (Shanghai before
    2015-08-01) on the par value traded."""
    rate = transfer_fee_rate(_exchange(symbol), day)
    return (
        Decimal("0.00") if rate is None or quantity <= 0 else _transfer_amount(rate, symbol, quantity, quantity * price)
    )


def commission(notional: Decimal, schedule: CommissionSchedule) -> Decimal:
    return _fen(max(notional * schedule.rate, schedule.minimum))


class DayFees:
    """The fees of one day and commission schedule: the dated rates looked up once, then exact fen per fill."""

    __slots__ = ("_minimum", "_rate", "_stamp", "_transfer")

    def __init__(self, day: date, rate: Decimal, minimum: Decimal) -> None:
        self._rate, self._minimum = rate, minimum
        self._stamp = {side: stamp_duty_rate(side, day) for side in Side}
        self._transfer = {exchange: transfer_fee_rate(exchange, day) for exchange in Exchange}

    def __call__(self, symbol: str, side: Side, quantity: int, price: Decimal) -> Decimal:
        """Return commission + stamp duty + transfer fee of `quantity` shares at `price`, each rounded half up
        to the fen.

        The same sums as `commission`, `stamp_duty` and `transfer_fee`, inlined: risk pays this per order.
        """
        notional = quantity * price
        if notional <= 0:
            return _NONE
        broker = notional * self._rate
        if self._minimum > broker:  # max(notional × rate, minimum)
            broker = self._minimum
        fee = broker.quantize(FEN, ROUND_HALF_UP)
        stamp = self._stamp.get(side)
        fee += _NONE if stamp is None else (notional * stamp).quantize(FEN, ROUND_HALF_UP)
        transfer = self._transfer[_exchange(symbol)]
        return fee if transfer is None else fee + _transfer_amount(transfer, symbol, quantity, notional)


@lru_cache(maxsize=64)
def day_fees(day: date, rate: Decimal, minimum: Decimal) -> DayFees:
    """Return the fee calculator of `day` under a commission rate and minimum (cached: a day's rates are fixed)."""
    return DayFees(day, rate, minimum)


def trade_fees(
    symbol: str, side: Side, quantity: int, price: Decimal, day: date, schedule: CommissionSchedule
) -> Decimal:
    """Return all fees of one fill of `quantity` shares at `price` (commission + stamp duty + transfer fee)."""
    return day_fees(day, schedule.rate, schedule.minimum)(symbol, side, quantity, price)
