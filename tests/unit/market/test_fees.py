from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from alphamoe.market.fees import CommissionSchedule, commission, day_fees, stamp_duty, trade_fees, transfer_fee
from alphamoe.market.rules import ParValueRule, StampDutyRule, TransferFeeRule, rulebook
from alphamoe.types import Exchange, Side

SCHEDULE = CommissionSchedule()  # 0.025%, minimum 5 CNY

# (first day, last day, rate) of each stamp-duty era on both sides, then on sells only (DESIGN.md §7)
BOTH_SIDES = [
    (date(1990, 12, 19), date(1997, 5, 11), "0.003"),
    (date(1997, 5, 12), date(1998, 6, 11), "0.005"),
    (date(1998, 6, 12), date(2001, 11, 15), "0.004"),
    (date(2001, 11, 16), date(2005, 1, 23), "0.002"),
    (date(2005, 1, 24), date(2007, 5, 29), "0.001"),
    (date(2007, 5, 30), date(2008, 4, 23), "0.003"),
    (date(2008, 4, 24), date(2008, 9, 18), "0.001"),
]
SELLS_ONLY = [(date(2008, 9, 19), date(2023, 8, 27), "0.001"), (date(2023, 8, 28), date(2026, 12, 31), "0.0005")]


@pytest.mark.parametrize(("first", "last", "rate"), BOTH_SIDES)
def test_stamp_duty_when_before_2008_09_19_then_each_era_on_buyer_and_seller(
    first: date, last: date, rate: str
) -> None:
    for day in (first, last):
        assert stamp_duty(Side.BUY, Decimal("100000"), day) == Decimal("100000") * Decimal(rate)
        assert stamp_duty(Side.SELL, Decimal("100000"), day) == Decimal("100000") * Decimal(rate)


@pytest.mark.parametrize(("first", "last", "rate"), SELLS_ONLY)
def test_stamp_duty_when_from_2008_09_19_then_sells_only_at_the_dated_rate(first: date, last: date, rate: str) -> None:
    for day in (first, last):
        assert stamp_duty(Side.SELL, Decimal("100000"), day) == Decimal("100000") * Decimal(rate)
        assert stamp_duty(Side.BUY, Decimal("100000"), day) == Decimal("0.00")


def test_commission_when_small_order_then_minimum_five_cny() -> None:
    assert commission(Decimal("10000"), SCHEDULE) == Decimal("5.00")  # 2.50 at the rate
    assert commission(Decimal("19999"), SCHEDULE) == Decimal("5.00")
    assert commission(Decimal("100000"), SCHEDULE) == Decimal("25.00")


def test_transfer_fee_when_sh_or_sz_then_charged_on_notional_and_bse_not() -> None:
    assert transfer_fee("600000.SH", 10_000, Decimal("10.00"), date(2024, 1, 2)) == Decimal("1.00")
    assert transfer_fee("000001.SZ", 10_000, Decimal("10.00"), date(2022, 4, 28)) == Decimal("2.00")
    assert transfer_fee("000001.SZ", 10_000, Decimal("10.00"), date(2015, 8, 3)) == Decimal("2.00")
    assert transfer_fee("830799.BJ", 10_000, Decimal("10.00"), date(2024, 1, 2)) == Decimal("0.00")


@pytest.mark.parametrize(
    ("day", "per_10k_shares"),
    [
        (date(1995, 3, 1), "5.00"),  # 0.5‰ of par value
        (date(2012, 5, 31), "5.00"),
        (date(2012, 6, 1), "3.75"),  # 0.375‰
        (date(2012, 8, 31), "3.75"),
        (date(2012, 9, 3), "3.00"),  # 0.3‰
        (date(2015, 7, 31), "3.00"),
    ],
)
def test_transfer_fee_when_shanghai_before_2015_08_01_then_on_par_value_whatever_the_price(
    day: date, per_10k_shares: str
) -> None:
    for price in (Decimal("3.10"), Decimal("11.03"), Decimal("250.00")):
        assert transfer_fee("600000.SH", 10_000, price, day) == Decimal(per_10k_shares)
        assert transfer_fee("000001.SZ", 10_000, price, day) == Decimal("0.00")  # in SZSE's handling fee
    assert transfer_fee("601899.SH", 100_000, Decimal("4.00"), day) == Decimal(per_10k_shares)  # par 0.10 CNY
    assert transfer_fee("600000.SH", 0, Decimal("10.00"), day) == Decimal("0.00")


def test_trade_fees_when_shanghai_buy_on_2015_01_05_then_transfer_fee_by_share_count() -> None:
    # the fill: 4,400 × 11.03 was charged 12.13 CNY, the commission alone (48,532 × 0.025% = 12.133)
    fees = trade_fees("600000.SH", Side.BUY, 4_400, Decimal("11.03"), date(2015, 1, 5), SCHEDULE)
    assert fees == Decimal("12.13") + Decimal("1.32")  # + 4,400 shares × 1 CNY par × 0.3‰
    assert trade_fees("000001.SZ", Side.BUY, 4_400, Decimal("11.03"), date(2015, 1, 5), SCHEDULE) == Decimal("12.13")


def test_trade_fees_when_2007_buy_and_sell_then_both_pay_stamp_duty() -> None:
    buy = trade_fees("000001.SZ", Side.BUY, 1_000, Decimal("20.00"), date(2007, 6, 1), SCHEDULE)
    sell = trade_fees("000001.SZ", Side.SELL, 1_000, Decimal("20.00"), date(2007, 6, 1), SCHEDULE)
    assert buy == sell == Decimal("5.00") + Decimal("60.00")  # minimum commission + 0.3% of 20,000


def test_trade_fees_when_sell_around_2023_08_28_then_stamp_duty_halves() -> None:
    def fees(side: Side, quantity: int, day: date) -> Decimal:
        return trade_fees("600000.SH", side, quantity, Decimal("10.00"), day, SCHEDULE)

    assert fees(Side.SELL, 10_000, date(2023, 8, 25)) == Decimal("126.00")  # 25 commission + 100 stamp + 1 transfer
    assert fees(Side.SELL, 10_000, date(2023, 8, 28)) == Decimal("76.00")
    assert fees(Side.BUY, 10_000, date(2023, 8, 28)) == Decimal("26.00")
    assert fees(Side.SELL, 0, date(2023, 8, 28)) == Decimal("0.00")


def test_rulebook_when_fee_eras_then_contiguous_from_their_first_day_and_each_sourced() -> None:
    book = rulebook()
    # (eras, first day, last era open-ended): buyers stopped paying stamp duty after 2008-09-18
    groups: list[tuple[list[StampDutyRule] | list[TransferFeeRule], date, bool]] = [
        ([r for r in book.stamp_duty if side in r.sides], date(1990, 12, 19), side == Side.SELL) for side in Side
    ]
    groups += [([r for r in book.transfer_fee if Exchange.SH in r.exchanges], date(1990, 12, 19), True)]
    groups += [([r for r in book.transfer_fee if Exchange.SZ in r.exchanges], date(2015, 8, 1), True)]
    for rules, first, open_ended in groups:
        eras = sorted(rules, key=lambda r: r.start)
        assert eras[0].start == first
        for before, after in itertools.pairwise(eras):
            assert before.end is not None and before.end + timedelta(days=1) == after.start, after
        assert (eras[-1].end is None) == open_ended
    sourced: list[StampDutyRule | TransferFeeRule | ParValueRule] = [
        *book.stamp_duty,
        *book.transfer_fee,
        *book.par_value,
    ]
    assert all(r.source for r in sourced)


@pytest.mark.parametrize(
    "day",
    [date(1996, 5, 2), date(2008, 4, 23), date(2012, 6, 1), date(2015, 1, 5), date(2015, 8, 3), date(2023, 8, 28)],
)
@pytest.mark.parametrize("symbol", ["600000.SH", "601899.SH", "000001.SZ", "830799.BJ"])
@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_day_fees_when_cached_per_day_then_equal_the_sum_of_each_fee(day: date, symbol: str, side: Side) -> None:
    fills = [(0, "10.00"), (1, "0.01"), (100, "19.99"), (2_000, "10.00"), (12_345, "10.01"), (1_050, "3.33")]
    for quantity, text in fills:
        price = Decimal(text)
        notional = quantity * price
        parts = commission(notional, SCHEDULE) + stamp_duty(side, notional, day)
        parts += transfer_fee(symbol, quantity, price, day)
        expected = parts if notional > 0 else Decimal("0.00")
        got = day_fees(day, SCHEDULE.rate, SCHEDULE.minimum)(symbol, side, quantity, price)
        assert (got, str(got)) == (expected, str(expected))
        assert trade_fees(symbol, side, quantity, price, day, SCHEDULE) == expected
