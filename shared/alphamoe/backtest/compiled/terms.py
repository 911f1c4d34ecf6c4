"""The numbers the compiled session loop reads, taken from the live configuration, rule book and fee table.

Every Decimal setting becomes an exact integer ratio (a cap of 0.05 is 1/20, a buffer of 0.02 is 1/50),
every price whole fen, every dated rate one integer per session over a common denominator, so the
kernels compare and round exactly as the live Decimal code does. Float settings stay floats where live
computes in floats (Kelly weights), so both run the same IEEE operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from alphamoe.backtest.config import BacktestConfig
from alphamoe.errors import ConfigurationError
from alphamoe.market.bars import Panel
from alphamoe.market.boards import board_key, exchange_of
from alphamoe.market.fees import CommissionSchedule, TransferRate, par_value, stamp_duty_rate, transfer_fee_rate
from alphamoe.market.lots import buy_lot
from alphamoe.risk.rules import as_decimal
from alphamoe.types import Exchange, Side

IntArray = npt.NDArray[np.int64]
Array = npt.NDArray[Any]  # a kernel argument: numba checks the dtype when it compiles
EXCHANGES = tuple(Exchange)
_NO_TRANSFER = TransferRate(Decimal(0), Decimal(0))
_MAX_DEN = 10**10  # rate × notional must stay inside int64: notional ≤ 10^8 CNY keeps it below 2^63


class Ratio(NamedTuple):
    """An exact non-negative rational num/den."""

    num: int
    den: int


def ratio_of(value: Decimal | float) -> Ratio:
    """Return the exact ratio a setting reads as (a float as its shortest repr, as `risk.rules.as_decimal`)."""
    exact = Fraction(as_decimal(value) if isinstance(value, float) else value)
    return Ratio(exact.numerator, exact.denominator)


class FeeTerms(NamedTuple):
    """The day's fees as integers: each rate is `rate × den`, the minimum commission is in fen × den."""

    den: int
    commission: int
    minimum: int
    stamp_buy: IntArray  # per session row
    stamp_sell: IntArray
    transfer: IntArray  # per session row × exchange (EXCHANGES order): of the notional
    transfer_par: IntArray  # per session row × exchange: of the par value traded (Shanghai before 2015-08-01)
    exchange: IntArray  # per column
    par: IntArray  # per column: the par value of one share, in fen


class SizingTerms(NamedTuple):
    """`SizingConfig` as the kernels read it."""

    kelly_fraction: float
    max_position_weight: float
    max_board_weight: float
    max_industry_weight: float
    trim_band: float
    max_total_weight: float
    cash_reserve: float
    min_confidence: float
    max_orders: int
    buffer: Ratio  # limit buffer
    cap: Ratio  # max_position_weight as the decimal it reads as (trims sell back to cap × equity)
    reserve: Ratio  # cash_reserve as the decimal it reads as (cash kept = reserve × equity)
    min_order: int  # min_order_value in fen (whole: the setting has at most two decimals)


class RiskTerms(NamedTuple):
    """`RiskLimits` as the kernels read them: counts, caps in fen, weight caps as exact ratios."""

    max_orders_per_day: int
    max_orders_and_cancels_per_day: int
    max_orders_per_second: int
    max_active_orders: int
    max_order_quantity: int
    max_order_notional: int  # fen, rounded down: a whole-fen notional exceeds the cap iff it exceeds this
    allow_st_buys: bool
    position: Ratio
    board: Ratio
    industry: Ratio


class ColumnTerms(NamedTuple):
    """What is fixed per stock: its place in symbol order, board and industry group, lot rule."""

    rank: IntArray  # position of the symbol in sorted order (live sorts by symbol)
    by_rank: IntArray  # columns in symbol order
    board: IntArray  # group index of `board_key`
    industry: IntArray  # group index, -1 without an industry
    min_buy: IntArray
    step: IntArray
    n_boards: int
    n_industries: int


def sizing_terms(config: BacktestConfig) -> SizingTerms:
    s = config.sizing
    return SizingTerms(
        kelly_fraction=s.kelly_fraction,
        max_position_weight=s.max_position_weight,
        max_board_weight=s.max_board_weight,
        max_industry_weight=s.max_industry_weight,
        trim_band=s.trim_band,
        max_total_weight=s.max_total_weight,
        cash_reserve=s.cash_reserve,
        min_confidence=s.min_confidence,
        max_orders=s.max_orders,
        buffer=ratio_of(s.limit_buffer),
        cap=ratio_of(s.max_position_weight),
        reserve=ratio_of(s.cash_reserve),
        min_order=int(s.min_order_value * 100),
    )


def risk_terms(config: BacktestConfig) -> RiskTerms:
    r = config.risk
    return RiskTerms(
        max_orders_per_day=r.max_orders_per_day,
        max_orders_and_cancels_per_day=r.max_orders_and_cancels_per_day,
        max_orders_per_second=r.max_orders_per_second,
        max_active_orders=r.max_active_orders,
        max_order_quantity=r.max_order_quantity,
        max_order_notional=int((r.max_order_notional * 100).to_integral_value(rounding="ROUND_FLOOR")),
        allow_st_buys=r.allow_st_buys,
        position=ratio_of(r.max_position_weight),
        board=ratio_of(r.max_board_weight),
        industry=ratio_of(r.max_industry_weight),
    )


def column_terms(symbols: tuple[str, ...] | list[str], industries: Mapping[str, str]) -> ColumnTerms:
    """Return the columns' ranks, boards, industries and lots (kept for the last few universes: a study's
    trials run on one; the kernels only read them)."""
    symbols = tuple(symbols)
    return _column_terms(symbols, tuple(industries.get(s) for s in symbols))


@lru_cache(maxsize=4)
def _column_terms(symbols: tuple[str, ...], named: tuple[str | None, ...]) -> ColumnTerms:
    n = len(symbols)
    by_rank = np.array(sorted(range(n), key=lambda i: symbols[i]), dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[by_rank] = np.arange(n, dtype=np.int64)
    boards = _codes([board_key(s) for s in symbols])
    industry = _codes([g for g in named if g is not None])
    industry_of = {g: int(c) for g, c in zip([g for g in named if g is not None], industry, strict=True)}
    lots = [buy_lot(s) for s in symbols]
    return ColumnTerms(
        rank=rank,
        by_rank=by_rank,
        board=boards,
        industry=np.array([industry_of[g] if g is not None else -1 for g in named], dtype=np.int64),
        min_buy=np.array([m for m, _ in lots], dtype=np.int64),
        step=np.array([s for _, s in lots], dtype=np.int64),
        n_boards=int(boards.max(initial=-1)) + 1,
        n_industries=int(industry.max(initial=-1)) + 1,
    )


def fee_terms(panel: Panel, config: BacktestConfig) -> FeeTerms:
    """Return the dated stamp duty and transfer fee of every session row, and the broker's terms, as integers
    (kept for the last few panels: a study's trials run on one; the kernels only read them)."""
    dates = np.asarray(panel.dates, dtype="datetime64[D]")
    return _fee_terms(dates.tobytes(), tuple(panel.symbols), config.commission)


@lru_cache(maxsize=4)
def _fee_terms(dates: bytes, symbols: tuple[str, ...], schedule: CommissionSchedule) -> FeeTerms:
    days = np.frombuffer(dates, dtype="datetime64[D]").astype(object).tolist()
    stamp = [[stamp_duty_rate(side, day) or Decimal(0) for side in (Side.BUY, Side.SELL)] for day in days]
    transfer = [[transfer_fee_rate(ex, day) or _NO_TRANSFER for ex in EXCHANGES] for day in days]
    rates = {schedule.rate, schedule.minimum * 100} | {r for row in stamp for r in row}
    rates |= {r for row in transfer for rate in row for r in rate}
    den = int(np.lcm.reduce(sorted({Fraction(r).denominator for r in rates})))
    if den > _MAX_DEN:
        raise ConfigurationError(f"fee rates need a denominator of {den}; the compiled backtest supports ≤ {_MAX_DEN}")

    def scaled(rate: Decimal) -> int:
        return int(rate * den)

    return FeeTerms(
        den=den,
        commission=scaled(schedule.rate),
        minimum=scaled(schedule.minimum * 100),
        stamp_buy=np.array([scaled(b) for b, _ in stamp], dtype=np.int64),
        stamp_sell=np.array([scaled(s) for _, s in stamp], dtype=np.int64),
        transfer=np.array([[scaled(r.value) for r in row] for row in transfer], dtype=np.int64).reshape(len(days), -1),
        transfer_par=np.array([[scaled(r.par) for r in row] for row in transfer], dtype=np.int64).reshape(
            len(days), -1
        ),
        exchange=np.array([EXCHANGES.index(exchange_of(s)) for s in symbols], dtype=np.int64),
        par=np.array([int(par_value(s) * 100) for s in symbols], dtype=np.int64),
    )


def _codes(names: list[str]) -> IntArray:
    index = {name: k for k, name in enumerate(sorted(set(names)))}
    return np.array([index[n] for n in names], dtype=np.int64)
