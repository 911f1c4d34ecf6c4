"""The corporate-action rule (market/corporate.py): shares, cash, tax and cost of a holding on its ex date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from support.corporate_actions import action

from alphamoe.data.actions.model import ActionKind
from alphamoe.market.corporate import entitle
from alphamoe.market.dividend_tax import add_months, dividend_tax_rate
from alphamoe.portfolio import AccountState, Position

D = Decimal
EX = date(2015, 9, 23)


def test_entitle_when_ten_for_five_capitalisation_then_shares_triple_and_cost_kept() -> None:
    got = entitle(
        "000425.SZ",
        3600,
        D("49716"),
        [action("000425.SZ", EX, ActionKind.CAPITALISATION_SHARES, shares=D(2))],
        opened=EX,
    )
    assert (got.quantity, got.new_shares, got.cost, got.cash, got.tax) == (10800, 7200, D("49716"), D(0), D(0))


def test_entitle_when_fractional_new_shares_then_rounded_down() -> None:
    got = entitle(
        "000001.SZ",
        150,
        D(1000),
        [action("000001.SZ", EX, ActionKind.CAPITALISATION_SHARES, shares=D("0.35"))],
        opened=None,
    )
    assert (got.quantity, got.new_shares) == (202, 52)


@pytest.mark.parametrize(
    ("opened", "rate"),
    [(date(2015, 9, 22), D("0.20")), (date(2015, 8, 23), D("0.20")), (date(2015, 8, 22), D("0.10")),
     (date(2014, 9, 23), D("0.10")), (date(2014, 9, 22), D(0)), (None, D("0.20"))],
)  # fmt: skip
def test_dividend_tax_rate_when_2015_rule_then_rate_by_holding_period(opened: date | None, rate: D) -> None:
    assert dividend_tax_rate(EX, opened) == rate


@pytest.mark.parametrize(
    ("day", "opened", "rate"),
    [(date(2004, 6, 1), date(2000, 1, 4), D("0.20")), (date(2012, 6, 1), date(2012, 5, 31), D("0.10")),
     (date(2014, 6, 3), date(2013, 6, 3), D("0.10")), (date(2014, 6, 3), date(2013, 6, 2), D("0.05"))],
)  # fmt: skip
def test_dividend_tax_rate_when_earlier_eras_then_their_rates(day: date, opened: date, rate: D) -> None:
    assert dividend_tax_rate(day, opened) == rate


def test_entitle_when_cash_dividend_before_2013_then_10_percent_withheld_and_cost_lowered() -> None:
    got = entitle(
        "601328.SH", 1001, D(6000), [action("601328.SH", date(2012, 6, 1), cash=D("0.27"))], opened=date(2012, 5, 31)
    )
    # 1001 × 0.27 = 270.27 gross; 2005–2012 era withheld at the credit: 10% → 27.03 (half up)
    assert (got.quantity, got.cash, got.tax, got.cost) == (1001, D("243.24"), D("27.03"), D("5756.76"))


def test_entitle_when_cash_dividend_since_2013_then_paid_gross_and_the_lot_carries_it() -> None:
    got = entitle(
        "601328.SH", 1001, D(6000), [action("601328.SH", date(2015, 6, 3), cash=D("0.27"))], opened=date(2015, 6, 2)
    )
    # collected at the sale since 2013 (财税〔2012〕85号): nothing withheld now, the lot owes it if sold
    assert (got.cash, got.tax, got.cost) == (D("270.27"), D(0), D("5729.73"))
    assert [(lot.acquired, lot.quantity, lot.untaxed) for lot in got.lots] == [(date(2015, 6, 2), 1001, D("270.27"))]


def test_entitle_when_bonus_shares_then_taxed_at_par_but_capitalisation_not() -> None:
    ex = date(2012, 6, 1)
    bonus = action("600000.SH", ex, ActionKind.BONUS_SHARES, shares=D("0.5"))
    dividend = action("600000.SH", ex, cash=D("0.1"))
    got = entitle("600000.SH", 1000, D(10000), [bonus, dividend], opened=date(2012, 1, 5))
    # taxable: 100 cash + 500 shares × 1 CNY par = 600, at 10% (2005–2012, withheld at the credit) = 60
    assert (got.quantity, got.tax, got.cash, got.cost) == (1500, D(60), D(40), D(9960))


def test_add_months_when_month_end_then_clamped() -> None:
    assert (add_months(date(2016, 1, 31), 1), add_months(date(2015, 12, 15), 12)) == (
        date(2016, 2, 29),
        date(2016, 12, 15),
    )


def test_roll_to_when_ex_date_then_new_shares_locked_price_at_reference_and_cash_credited() -> None:
    state = AccountState(
        account_id="a", trading_day=date(2015, 9, 22), cash=D(100),
        positions=(
            Position(symbol="000425.SZ", quantity=3600, sellable=0, cost=D(49716), last_price=D("13.81"),
                     opened=date(2015, 9, 22)),
        ),
    )  # fmt: skip
    acts = [action("000425.SZ", EX, ActionKind.CAPITALISATION_SHARES, shares=D(2)), action("600000.SH", EX, cash=D(1))]
    opened = state.roll_to(EX, acts)
    p = opened.positions[0]
    assert (p.quantity, p.sellable, p.last_price, p.cost, opened.cash) == (10800, 3600, D("4.60"), D(49716), D(100))
    assert opened.roll_to(date(2015, 9, 24), acts).positions[0].sellable == 10800  # listed the next session


def test_roll_to_when_action_before_the_state_day_then_not_applied_again() -> None:
    state = AccountState(
        account_id="a", trading_day=EX, cash=D(0),
        positions=(Position(symbol="000425.SZ", quantity=10800, sellable=3600, cost=D(1), last_price=D("4.6")),),
    )  # fmt: skip
    acts = [action("000425.SZ", EX, ActionKind.CAPITALISATION_SHARES, shares=D(2))]
    assert state.roll_to(date(2015, 9, 24), acts).positions[0].quantity == 10800
