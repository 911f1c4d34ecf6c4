from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from alphamoe.market.limits import NO_LIMIT_UP, PriceBand, limit_prices


def _band(down: str, up: str) -> PriceBand:
    return PriceBand(Decimal(down), Decimal(up))


@pytest.mark.parametrize(
    ("symbol", "day", "st", "band"),
    [
        ("600000.SH", date(2024, 1, 2), False, _band("9.00", "11.00")),
        ("600000.SH", date(2025, 7, 4), True, _band("9.50", "10.50")),  # ST ±5% until 2025-07-06
        ("600000.SH", date(2025, 7, 7), True, _band("9.00", "11.00")),  # then ±10%
        ("300750.SZ", date(2020, 8, 21), False, _band("9.00", "11.00")),  # ChiNext ±10% before the reform
        ("300750.SZ", date(2020, 8, 24), False, _band("8.00", "12.00")),
        ("300750.SZ", date(2024, 1, 2), True, _band("8.00", "12.00")),  # ChiNext ST: same ±20%
        ("688981.SH", date(2024, 1, 2), False, _band("8.00", "12.00")),
        ("830799.BJ", date(2024, 1, 2), False, _band("7.00", "13.00")),
    ],
)
def test_limit_prices_when_board_and_status_then_dated_band(symbol: str, day: date, st: bool, band: PriceBand) -> None:
    assert limit_prices(symbol, Decimal("10.00"), day, st=st, listing_day_index=100) == band


def test_limit_prices_when_product_is_half_a_tick_then_rounds_half_up() -> None:
    assert limit_prices("600000.SH", Decimal("10.05"), date(2024, 1, 2)) == _band("9.05", "11.06")
    assert limit_prices("600000.SH", Decimal("3.85"), date(2024, 1, 2), st=True) == _band("3.66", "4.04")


def test_limit_prices_when_price_is_one_tick_then_limit_down_stays_one_tick() -> None:
    assert limit_prices("600000.SH", Decimal("0.01"), date(2024, 1, 2)).down == Decimal("0.01")


@pytest.mark.parametrize(
    ("symbol", "day", "index", "limited"),
    [
        ("600000.SH", date(2023, 4, 7), 0, False),  # main board: one free day before the registration reform
        ("600000.SH", date(2023, 4, 7), 1, True),
        ("600000.SH", date(2023, 4, 10), 4, False),  # five free days from 2023-04-10
        ("600000.SH", date(2023, 4, 10), 5, True),
        ("688981.SH", date(2024, 1, 2), 4, False),
        ("300750.SZ", date(2020, 8, 21), 1, True),
        ("300750.SZ", date(2020, 8, 24), 1, False),
        ("830799.BJ", date(2024, 1, 2), 0, False),
        ("830799.BJ", date(2024, 1, 2), 1, True),
    ],
)
def test_limit_prices_when_listing_days_then_no_limit_for_the_board_s_free_days(
    symbol: str, day: date, index: int, limited: bool
) -> None:
    band = limit_prices(symbol, Decimal("10.00"), day, listing_day_index=index)
    assert band.limited is limited
    if not limited:
        assert band == PriceBand(Decimal("0.01"), NO_LIMIT_UP)


def test_limit_prices_when_relisting_then_no_limit() -> None:
    band = limit_prices("000792.SZ", Decimal("8.84"), date(2021, 8, 10), listing_day_index=5198, relisting=True)
    assert not band.limited
    assert band.contains(Decimal("35.90"))
