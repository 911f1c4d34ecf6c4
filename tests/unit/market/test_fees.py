from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from alphamoe.market.fees import CommissionSchedule, commission, day_fees, stamp_duty, trade_fees, transfer_fee
from alphamoe.types import Side

SCHEDULE = CommissionSchedule()  # 0.025%, minimum 5 CNY


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (date(2023, 8, 25), Decimal("0.001")),
        (date(2023, 8, 27), Decimal("0.001")),
        (date(2023, 8, 28), Decimal("0.0005")),
    ],
)
def test_stamp_duty_when_sell_then_dated_rate_and_buy_pays_none(day: date, rate: Decimal) -> None:
    assert stamp_duty(Side.SELL, Decimal("100000"), day) == Decimal("100000") * rate
    assert stamp_duty(Side.BUY, Decimal("100000"), day) == Decimal("0.00")


def test_commission_when_small_order_then_minimum_five_cny() -> None:
    assert commission(Decimal("10000"), SCHEDULE) == Decimal("5.00")  # 2.50 at the rate
    assert commission(Decimal("19999"), SCHEDULE) == Decimal("5.00")
    assert commission(Decimal("100000"), SCHEDULE) == Decimal("25.00")


def test_transfer_fee_when_sh_or_sz_then_charged_and_bse_not() -> None:
    assert transfer_fee("600000.SH", Decimal("100000"), date(2024, 1, 2)) == Decimal("1.00")
    assert transfer_fee("000001.SZ", Decimal("100000"), date(2022, 4, 28)) == Decimal("2.00")
    assert transfer_fee("830799.BJ", Decimal("100000"), date(2024, 1, 2)) == Decimal("0.00")


def test_trade_fees_when_sell_around_2023_08_28_then_stamp_duty_halves() -> None:
    before = trade_fees("600000.SH", Side.SELL, Decimal("100000"), date(2023, 8, 25), SCHEDULE)
    after = trade_fees("600000.SH", Side.SELL, Decimal("100000"), date(2023, 8, 28), SCHEDULE)
    assert before == Decimal("126.00")  # 25 commission + 100 stamp duty + 1 transfer fee
    assert after == Decimal("76.00")
    assert trade_fees("600000.SH", Side.BUY, Decimal("100000"), date(2023, 8, 28), SCHEDULE) == Decimal("26.00")
    assert trade_fees("600000.SH", Side.SELL, Decimal("0"), date(2023, 8, 28), SCHEDULE) == Decimal("0.00")


@pytest.mark.parametrize("day", [date(2008, 4, 23), date(2015, 8, 1), date(2022, 4, 29), date(2023, 8, 28)])
@pytest.mark.parametrize("symbol", ["600000.SH", "000001.SZ", "830799.BJ"])
@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_day_fees_when_cached_per_day_then_equal_the_sum_of_each_fee(day: date, symbol: str, side: Side) -> None:
    for notional in (Decimal("0"), Decimal("0.01"), Decimal("1999.99"), Decimal("20000.00"), Decimal("123456.78")):
        parts = commission(notional, SCHEDULE) + stamp_duty(side, notional, day) + transfer_fee(symbol, notional, day)
        expected = parts if notional > 0 else Decimal("0.00")
        got = day_fees(day, SCHEDULE.rate, SCHEDULE.minimum)(symbol, side, notional)
        assert (got, str(got)) == (expected, str(expected))
        assert trade_fees(symbol, side, notional, day, SCHEDULE) == expected
