"""Round trips over corporate actions: an ex date is no loss, a dividend is income (issue 15)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from support.corporate_actions import action

from alphamoe.backtest.metrics import round_trips
from alphamoe.backtest.result import TradeRecord
from alphamoe.data.actions.model import ActionKind
from alphamoe.types import Side

D = Decimal


def _fill(day: date, side: Side, quantity: int, price: str, tax: str = "0") -> TradeRecord:
    return TradeRecord(symbol="000425.SZ", side=side, day=day, quantity=quantity, price=D(price), fees=D(0),
                       tax=D(tax), order_id=f"{day}:{side.value}")  # fmt: skip


def test_round_trips_when_held_through_1_to_3_then_one_trip_of_every_share_at_the_cost_per_share() -> None:
    trades = [_fill(date(2015, 9, 22), Side.BUY, 3600, "13.81"), _fill(date(2015, 9, 28), Side.SELL, 10800, "4.27")]
    split = action("000425.SZ", date(2015, 9, 23), ActionKind.CAPITALISATION_SHARES, shares="2")
    trips, unmatched = round_trips(trades, [date(2015, 9, 22), date(2015, 9, 28)], [split])
    assert unmatched == 0
    assert [(t.quantity, t.entry_price, t.pnl) for t in trips] == [(10800, D("4.6033"), D("-3600.00"))]
    _, before = round_trips(trades, [date(2015, 9, 22), date(2015, 9, 28)])
    assert before == 7200  # without the action, the 7,200 new shares were sold from nowhere


def test_round_trips_when_dividend_then_its_cash_less_the_tax_the_sale_collects_is_income() -> None:
    # the dividend is paid gross (since 2013); the sale 2 days later collects 20% of it (held ≤ 1 month)
    trades = [
        _fill(date(2015, 6, 2), Side.BUY, 1000, "10.00"),
        _fill(date(2015, 6, 4), Side.SELL, 1000, "9.50", tax="100"),
    ]
    dividend = action("000425.SZ", date(2015, 6, 3), cash="0.5")
    trips, _ = round_trips(trades, [date(2015, 6, 2), date(2015, 6, 4)], [dividend])
    assert (trips[0].pnl, trips[0].income) == (D("-100.00"), D(400))  # −500 on the price, +500 − 100 tax
