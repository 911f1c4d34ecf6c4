"""The compiled money kernels equal the live Decimal code they transcribe, on random and adversarial inputs.

`backtest.compiled.money` holds fees, lots and limit prices as integer kernels (`strategy.exact_sum` `math.fsum`); the
compiled backtest is only the live backtest if each of them returns exactly what its live twin returns.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from support.panels import make_panel

from alphamoe.backtest import fills
from alphamoe.backtest.compiled import matching, money
from alphamoe.backtest.compiled.terms import FeeTerms, fee_terms, ratio_of
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.market import fen_price
from alphamoe.market.bands import NO_LIMIT_FEN, band_fen, board_codes
from alphamoe.market.boards import board_of
from alphamoe.market.fees import CommissionSchedule, trade_fees
from alphamoe.market.limits import NO_LIMIT_UP, PriceBand
from alphamoe.market.lots import buy_lot, round_buy_quantity, round_sell_quantity, sell_quantity_error
from alphamoe.market.reference import ReferenceData
from alphamoe.market.rules import rulebook
from alphamoe.sizing.allocate import buy_limit_price, sell_limit_price
from alphamoe.strategy.exact_sum import fsum
from alphamoe.types import Side

# every board and exchange: SH main, STAR (688/689), SZ main, ChiNext, BSE (old 43/83/87/88 and new 92), and
# the two Shanghai stocks whose par value is not 1 CNY (601899 0.1, 603993 0.2: the par-value transfer fee)
SYMBOLS = (
    "600000.SH", "601318.SH", "605599.SH", "688981.SH", "689009.SH",
    "000001.SZ", "002594.SZ", "003816.SZ", "300750.SZ", "301236.SZ",
    "430047.BJ", "830799.BJ", "873223.BJ", "920002.BJ", "601899.SH", "603993.SH",
)  # fmt: skip
# each side of every dated change of stamp duty (1997-05-12, 1998-06-12, 2001-11-16, 2005-01-24, 2007-05-30,
# 2008-04-24, 2008-09-19, 2023-08-28) and transfer fee (2012-06-01, 2012-09-01, 2015-08-01, 2022-04-29)
DAYS = (
    date(1995, 3, 1), date(1997, 5, 9), date(1997, 5, 12), date(1998, 6, 11), date(1998, 6, 12),
    date(2001, 11, 15), date(2001, 11, 16), date(2005, 1, 21), date(2005, 1, 24), date(2007, 5, 29),
    date(2007, 5, 30), date(2008, 4, 23), date(2008, 4, 24), date(2008, 9, 18), date(2008, 9, 19),
    date(2012, 5, 31), date(2012, 6, 1), date(2012, 8, 31), date(2012, 9, 3), date(2015, 1, 5),
    date(2015, 7, 31), date(2015, 8, 3), date(2022, 4, 28), date(2022, 4, 29), date(2023, 8, 25),
    date(2023, 8, 28), date(2026, 1, 5),
)  # fmt: skip
SCHEDULES = (
    CommissionSchedule(),
    CommissionSchedule(rate=Decimal("0.0003"), minimum=Decimal("5")),
    CommissionSchedule(rate=Decimal("0.00015"), minimum=Decimal("0")),
    CommissionSchedule(rate=Decimal("0.003"), minimum=Decimal("0.1")),
    CommissionSchedule(rate=Decimal("0.000085"), minimum=Decimal("1.25")),
    CommissionSchedule(rate=Decimal("0"), minimum=Decimal("0.01")),
)
PANEL = make_panel(DAYS, SYMBOLS)
FEES: tuple[FeeTerms, ...] = tuple(fee_terms(PANEL, BacktestConfig(commission=s)) for s in SCHEDULES)
MAX_NOTIONAL_FEN = 10**10  # 10^8 CNY: the largest notional `terms.fee_terms` promises exact

# fills near the fee rounding points: the minimum commission's crossover, the half-fen edges of the notional,
# and share counts whose par-value transfer fee ends on a half fen (0.3‰ × 50 shares = 1.5 fen)
fill_quantities = st.one_of(
    st.integers(min_value=-5, max_value=3_000),
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=0, max_value=10_000).map(lambda k: k * 100 + 50),
)
fill_prices = st.one_of(st.integers(min_value=1, max_value=5_000), st.integers(min_value=1, max_value=300_000))


@settings(deadline=None, max_examples=1500)
@given(
    schedule=st.integers(0, len(SCHEDULES) - 1),
    row=st.integers(0, len(DAYS) - 1),
    col=st.integers(0, len(SYMBOLS) - 1),
    side=st.sampled_from(Side),
    quantity=fill_quantities,
    price=fill_prices,
)
@example(schedule=0, row=26, col=0, side=Side.SELL, quantity=2_000, price=1_000)  # 20,000 CNY: minimum commission
@example(schedule=1, row=0, col=5, side=Side.BUY, quantity=1, price=1)
@example(schedule=0, row=19, col=0, side=Side.BUY, quantity=4_400, price=1_103)  # 2015-01-05: par-value fee
@example(schedule=0, row=18, col=14, side=Side.SELL, quantity=50, price=399)  # par 0.1: 0.15 fen of transfer fee
def test_fee_when_random_fill_then_equals_trade_fees(
    schedule: int, row: int, col: int, side: Side, quantity: int, price: int
) -> None:
    assume(quantity * price <= MAX_NOTIONAL_FEN)
    live = trade_fees(SYMBOLS[col], side, quantity, fen_price(price), DAYS[row], SCHEDULES[schedule])
    assert money.fee(FEES[schedule], row, col, side == Side.BUY, quantity, price) == int(live.scaleb(2))


def test_fee_terms_when_built_then_rates_change_on_the_rule_book_dates() -> None:
    # guards the test itself: the sampled days do cross every dated rate in rules.toml
    fees = FEES[0]
    eras = {(r.start, r.end) for r in rulebook().stamp_duty}
    assert len({(b, s) for b, s in zip(fees.stamp_buy.tolist(), fees.stamp_sell.tolist(), strict=True)}) == len(
        {(r.rate, r.sides) for r in rulebook().stamp_duty}
    )
    assert {next(e for e in eras if e[0] <= d and (e[1] is None or d <= e[1])) for d in DAYS} == eras
    transfer = {(tuple(v), tuple(p)) for v, p in zip(fees.transfer.tolist(), fees.transfer_par.tolist(), strict=True)}
    assert len(transfer) == len(rulebook().transfer_fee)
    assert set(fees.par.tolist()) == {100, 10, 20}


quantities = st.one_of(st.integers(-300, 2_000), st.integers(-10, 10**7))


@settings(deadline=None, max_examples=500)
@given(symbol=st.sampled_from(SYMBOLS), quantity=quantities, held=st.integers(0, 5_000))
@example(symbol="688981.SH", quantity=150, held=350)  # STAR: a 150 sell below the 200 minimum, not clearing
@example(symbol="600000.SH", quantity=250, held=250)  # main: the odd-lot remainder clears the holding
@example(symbol="830799.BJ", quantity=99, held=100)
def test_lots_when_random_quantity_then_equal_live_rounding_and_validity(symbol: str, quantity: int, held: int) -> None:
    minimum, step = buy_lot(symbol)
    assert money.round_buy(quantity, minimum, step) == round_buy_quantity(symbol, quantity)
    assert money.round_sell(quantity, held, minimum, step) == round_sell_quantity(symbol, quantity, held)
    live_valid = sell_quantity_error(symbol, quantity, held) is None
    assert money.sell_valid(quantity, held, minimum, step) == live_valid


buffers = st.one_of(
    st.sampled_from([Decimal("0"), Decimal("0.02"), Decimal("0.1"), Decimal("0.005"), Decimal("0.0125")]),
    st.decimals(min_value=0, max_value=Decimal("0.1"), places=4),
)


@settings(deadline=None, max_examples=500)
@given(
    symbol=st.sampled_from(SYMBOLS),
    day=st.sampled_from([date(2019, 1, 2), date(2020, 8, 24), date(2023, 4, 10), date(2025, 7, 7)]),
    prev_fen=st.integers(1, 300_000),
    st_flag=st.booleans(),
    listing_index=st.sampled_from([0, 1, 3, 4, 5, 200]),
    buffer=buffers,
)
def test_limit_prices_when_random_reference_then_equal_live(
    symbol: str, day: date, prev_fen: int, st_flag: bool, listing_index: int, buffer: Decimal
) -> None:
    down, up = (
        int(x[0])
        for x in band_fen(
            board_codes([board_of(symbol)]),
            np.array([prev_fen], dtype=np.int64),
            day,
            np.array([st_flag]),
            np.array([listing_index]),
        )
    )
    # the band as `backtest.reference.SessionReference` builds it (Infinity on a no-limit day)
    band = PriceBand(fen_price(down), NO_LIMIT_UP if up >= NO_LIMIT_FEN else fen_price(up))
    ref = ReferenceData(symbol, day, fen_price(prev_fen), st_flag, listing_index, band)
    num, den = ratio_of(buffer)
    assert money.buy_limit(prev_fen, down, up, num, den) == int(buy_limit_price(ref, buffer).scaleb(2))
    assert money.sell_limit(prev_fen, down, up, num, den) == int(sell_limit_price(ref, buffer).scaleb(2))


def _same_float(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


# |x| ≤ 1e307 and at most 16 terms: no partial sum can overflow, where math.fsum raises instead of returning
finite = st.floats(min_value=-1e307, max_value=1e307, allow_nan=False, allow_infinity=False)
scaled = st.builds(math.ldexp, st.sampled_from([1.0, -1.0, 0.1, 1.5, -0.7, 3.0]), st.integers(-1074, 1000))


@st.composite
def cancelling(draw: st.DrawFn) -> list[float]:
    """Big terms that cancel exactly around small ones: the sum lives entirely in the low partials."""
    big = draw(st.lists(scaled, min_size=1, max_size=5))
    small = draw(st.lists(st.one_of(scaled, finite), max_size=5))
    values = big + small + [-x for x in big]
    return draw(st.permutations(values))


@settings(deadline=None, max_examples=800)
@given(values=st.one_of(st.lists(finite, max_size=16), st.lists(scaled, max_size=16), cancelling()))
@example(values=[])
@example(values=[1e100, 1.0, -1e100])
@example(values=[0.1] * 10)
@example(values=[1.0, 2.0**-53, 2.0**-106])  # half-way: the correction step rounds up
@example(values=[1.0, -(2.0**-53), -(2.0**-106)])
@example(values=[2.0**53, 1.0, 2.0**-60, -(2.0**53)])
@example(values=[5e-324, -5e-324, 5e-324])
def test_fsum_when_adversarial_floats_then_equals_math_fsum(values: list[float]) -> None:
    array = np.array(values, dtype=np.float64)
    assert _same_float(fsum(array, len(values)), math.fsum(values))
    cut = len(values) // 2
    assert _same_float(fsum(array, cut), math.fsum(values[:cut]))


@st.composite
def bars(draw: st.DrawFn) -> tuple[int, int, int, int, int, int]:
    """A bar in fen inside its band, on a small grid so opens, lows and highs often meet the limit and band."""
    down = draw(st.integers(1, 20))
    up = draw(st.integers(down, 30))
    low = draw(st.integers(down, up))
    high = draw(st.integers(low, up))
    open_ = draw(st.integers(low, high))
    limit = draw(st.integers(max(down - 2, 1), up + 2))
    return limit, open_, high, low, up, down


@settings(deadline=None, max_examples=800)
@given(side=st.sampled_from(Side), bar=bars())
@example(side=Side.BUY, bar=(12, 12, 12, 12, 12, 8))  # sealed at limit-up: a buy never fills
@example(side=Side.SELL, bar=(8, 8, 8, 8, 12, 8))  # sealed at limit-down: a sell never fills
def test_fill_price_when_random_bar_then_equals_fill_price_fen(
    side: Side, bar: tuple[int, int, int, int, int, int]
) -> None:
    limit, open_, high, low, up, down = bar
    live = fills.fill_price_fen(side, limit, open_, high, low, up, down)
    assert (matching.fill_price(side == Side.BUY, limit, open_, high, low, up, down) or None) == live


@settings(deadline=None, max_examples=300)
@given(
    volume=st.floats(0, 1e10, allow_nan=False),
    cap=st.floats(0.001, 1.0),
    already=st.integers(0, 10**9),
)
def test_volume_room_when_random_then_equals_live(volume: float, cap: float, already: int) -> None:
    assert matching.volume_room(volume, cap, already) == fills.volume_room(volume, cap, already)
