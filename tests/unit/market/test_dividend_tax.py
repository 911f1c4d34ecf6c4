"""The dividend tax collected at the sale (差别化红利税, market/dividend_tax.py), and its compiled port (issue 15).

Since 2013-01-01 a dividend is paid gross and the broker deducts the tax when the shares are sold, first in
first out, by each sold lot's holding period on the sale day (财税〔2012〕85号, 〔2015〕101号).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.corporate_actions import action

from alphamoe.backtest.compiled.matching import sale_tax
from alphamoe.data.actions.model import ActionKind
from alphamoe.market.corporate import entitle
from alphamoe.market.dividend_tax import (
    TaxLot,
    bought,
    collected_at_sale,
    dividend_tax_rate,
    rate_bp,
    rates_bp,
    tax_on_sale,
)
from alphamoe.portfolio import Position

D = Decimal
BOUGHT = date(2015, 6, 2)
EX = date(2015, 6, 3)


def _held_through_the_dividend() -> tuple[TaxLot, ...]:
    # 1,001 shares of 601328.SH bought 2015-06-02, through its 0.27 CNY dividend of 2015-06-03
    got = entitle("601328.SH", 1001, D(6000), [action("601328.SH", EX, cash=D("0.27"))], opened=BOUGHT)
    assert (got.cash, got.tax) == (D("270.27"), D(0))  # paid gross
    return got.lots


def test_collect_when_eras_then_credit_before_2013_and_sale_since() -> None:
    assert [collected_at_sale(d) for d in (date(2012, 12, 31), date(2013, 1, 1), date(2020, 1, 2))] == [
        False,
        True,
        True,
    ]


def test_tax_on_sale_when_sold_ten_days_later_then_20_percent_of_the_dividend() -> None:
    tax, left = tax_on_sale(_held_through_the_dividend(), 1001, BOUGHT + timedelta(days=10))
    assert (tax, left) == (D("54.05"), ())  # 270.27 × 20%, half up


def test_tax_on_sale_when_held_two_months_then_10_percent() -> None:
    tax, _ = tax_on_sale(_held_through_the_dividend(), 1001, date(2015, 8, 3))
    assert tax == D("27.03")


def test_tax_on_sale_when_held_over_a_year_after_2015_09_08_then_exempt() -> None:
    tax, _ = tax_on_sale(_held_through_the_dividend(), 1001, date(2016, 6, 3))
    assert tax == D(0)


def test_tax_on_sale_when_held_over_a_year_before_2015_09_08_then_5_percent() -> None:
    lots = (TaxLot(acquired=date(2014, 6, 3), quantity=1000, untaxed=D(100)),)
    assert tax_on_sale(lots, 1000, date(2015, 6, 5))[0] == D(5)


def test_tax_on_sale_when_two_lots_then_first_in_first_out_and_the_rest_kept() -> None:
    lots = (
        TaxLot(acquired=date(2015, 1, 5), quantity=1000, untaxed=D(100)),
        TaxLot(acquired=date(2015, 6, 1), quantity=1000, untaxed=D(100)),
    )
    tax, left = tax_on_sale(lots, 1500, date(2015, 6, 20))
    # the old lot whole at 10% (1 month – 1 year) = 10; half the new one: 50 at 20% = 10
    assert tax == D(20)
    assert left == (TaxLot(acquired=date(2015, 6, 1), quantity=500, untaxed=D(50)),)


def test_tax_on_sale_when_shares_never_got_a_dividend_then_none() -> None:
    lots = bought(bought((), BOUGHT, 500), BOUGHT, 500)
    assert lots == (TaxLot(acquired=BOUGHT, quantity=1000),)
    assert tax_on_sale(lots, 1000, BOUGHT + timedelta(days=1)) == (D(0), ())


def test_entitle_when_bonus_shares_since_2013_then_they_join_their_lots_untaxed_at_par() -> None:
    lots = (
        TaxLot(acquired=date(2015, 1, 5), quantity=150, untaxed=D(0)),
        TaxLot(acquired=date(2015, 3, 2), quantity=150, untaxed=D(0)),
    )
    bonus = action("600000.SH", EX, ActionKind.BONUS_SHARES, shares=D("0.5"))
    got = entitle("600000.SH", 300, D(3000), [bonus], opened=date(2015, 1, 5), lots=lots)
    # 300 × 0.5 = 150 new shares: each lot its floor (75), nothing left over; tax due at par (1 CNY) if sold
    assert (got.quantity, got.tax) == (450, D(0))
    assert [(lot.acquired, lot.quantity, lot.untaxed) for lot in got.lots] == [
        (date(2015, 1, 5), 225, D(75)),
        (date(2015, 3, 2), 225, D(75)),
    ]


def test_entitle_when_lot_floors_fall_short_then_the_rest_go_to_the_oldest_lots() -> None:
    lots = (TaxLot(acquired=date(2015, 1, 5), quantity=101), TaxLot(acquired=date(2015, 3, 2), quantity=101))
    cap = action("600000.SH", EX, ActionKind.CAPITALISATION_SHARES, shares=D("0.5"))
    got = entitle("600000.SH", 202, D(0), [cap], opened=None, lots=lots)
    assert [lot.quantity for lot in got.lots] == [152, 151]  # 50 + 50 floors, the 101st share to the oldest
    assert sum(lot.untaxed for lot in got.lots) == 0  # 转增 carries no tax


_DAYS = st.dates(min_value=date(2012, 6, 1), max_value=date(2018, 12, 31))
_LOTS = st.lists(
    st.tuples(st.one_of(st.none(), _DAYS), st.integers(1, 50_000), st.integers(0, 2_000_000)), min_size=1, max_size=6
)


@settings(max_examples=300, deadline=None)
@given(lots=_LOTS, fraction=st.floats(0, 1), sold=_DAYS)
def test_compiled_sale_tax_when_any_lots_then_equal_to_the_rule(
    lots: list[tuple[date | None, int, int]], fraction: float, sold: date
) -> None:
    taxed = tuple(TaxLot(acquired=a, quantity=q, untaxed=D(u).scaleb(-2)) for a, q, u in lots)
    quantity = max(1, round(fraction * sum(q for _, q, _ in lots)))
    tax, left = tax_on_sale(taxed, quantity, sold)
    shares = np.array([[q for _, q, _ in lots]], dtype=np.int64)
    untaxed = np.array([[u for _, _, u in lots]], dtype=np.int64)
    bp = np.array([[[rates_bp([sold], a)[0]] for a, _, _ in lots]], dtype=np.int64)
    fen = sale_tax((np.zeros(1, dtype=np.int64), shares, untaxed, bp), 0, quantity, 0)
    assert D(fen).scaleb(-2) == tax
    kept = [(int(q), int(u)) for q, u in zip(shares[0], untaxed[0], strict=True) if q]
    assert kept == [(lot.quantity, int(lot.untaxed.scaleb(2))) for lot in left]


@settings(max_examples=200, deadline=None)
@given(acquired=st.one_of(st.none(), _DAYS), start=_DAYS, length=st.integers(1, 800))
def test_rates_bp_when_any_span_then_the_rate_of_each_day(acquired: date | None, start: date, length: int) -> None:
    days = [start + timedelta(days=k) for k in range(length)]
    assert rates_bp(days, acquired) == [rate_bp(dividend_tax_rate(d, acquired)) for d in days]


def test_position_when_saved_before_lots_then_one_lot_from_its_opening_day() -> None:
    saved = '{"symbol": "601328.SH", "quantity": 1000, "sellable": 1000, "cost": "6000", "last_price": "6.1", '
    saved += '"opened": "2015-06-02"}'
    assert Position.model_validate_json(saved).tax_lots() == (TaxLot(acquired=BOUGHT, quantity=1000),)


def test_position_when_lots_do_not_hold_its_quantity_then_refused_naming_the_symbol() -> None:
    with pytest.raises(ValueError, match=r"lots of 601328\.SH hold 900"):
        Position(symbol="601328.SH", quantity=1000, sellable=1000, cost=D(1), last_price=D(1),
                 lots=(TaxLot(acquired=BOUGHT, quantity=900),))  # fmt: skip
