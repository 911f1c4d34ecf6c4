from __future__ import annotations

import pytest

from alphamoe.market.lots import buy_lot, buy_quantity_error, round_buy_quantity, sell_quantity_error


@pytest.mark.parametrize(
    ("symbol", "lot"),
    [("600000.SH", (100, 100)), ("300750.SZ", (100, 100)), ("688981.SH", (200, 1)), ("830799.BJ", (100, 1))],
)
def test_buy_lot_when_board_then_minimum_and_step(symbol: str, lot: tuple[int, int]) -> None:
    assert buy_lot(symbol) == lot


@pytest.mark.parametrize(
    ("symbol", "wanted", "rounded"),
    [
        ("600000.SH", 99, 0),
        ("600000.SH", 1_250, 1_200),
        ("300750.SZ", 100, 100),
        ("688981.SH", 199, 0),
        ("688981.SH", 201, 201),
        ("688981.SH", 1_234, 1_234),
        ("830799.BJ", 99, 0),
        ("830799.BJ", 157, 157),
    ],
)
def test_round_buy_quantity_when_wanted_then_rounds_down_to_a_valid_lot(symbol: str, wanted: int, rounded: int) -> None:
    assert round_buy_quantity(symbol, wanted) == rounded


def test_buy_quantity_error_when_main_board_odd_lot_then_names_the_lot() -> None:
    assert buy_quantity_error("600000.SH", 300) is None
    assert "not 100 plus a multiple of 100" in (buy_quantity_error("600000.SH", 250) or "")
    assert "below the board minimum 100" in (buy_quantity_error("000001.SZ", 50) or "")


def test_buy_quantity_error_when_star_below_200_then_rejected_and_above_steps_of_one() -> None:
    assert "below the board minimum 200" in (buy_quantity_error("688981.SH", 100) or "")
    assert buy_quantity_error("688981.SH", 200) is None
    assert buy_quantity_error("688981.SH", 233) is None
    assert buy_quantity_error("830799.BJ", 101) is None
    assert buy_quantity_error("830799.BJ", 99) is not None


@pytest.mark.parametrize(
    ("symbol", "quantity", "held", "ok"),
    [
        ("600000.SH", 250, 250, True),  # the whole holding, odd lot included
        ("600000.SH", 200, 250, True),
        ("600000.SH", 50, 250, False),  # an odd lot that does not clear the holding
        ("600000.SH", 150, 250, False),
        ("600000.SH", 300, 250, False),  # more than held
        ("600000.SH", 0, 250, False),
        ("688981.SH", 201, 350, True),
        ("688981.SH", 150, 350, False),  # below 200 and not the remainder
        ("688981.SH", 150, 150, True),  # the remainder below 200 goes in one order
        ("830799.BJ", 101, 180, True),
        ("830799.BJ", 80, 180, False),
        ("830799.BJ", 80, 80, True),
    ],
)
def test_sell_quantity_error_when_odd_lot_remainder_then_only_the_whole_remainder_passes(
    symbol: str, quantity: int, held: int, ok: bool
) -> None:
    assert (sell_quantity_error(symbol, quantity, held) is None) is ok
