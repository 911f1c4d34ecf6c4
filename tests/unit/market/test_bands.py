from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from alphamoe.market.bands import BOARDS, NO_LIMIT_FEN, band_fen, from_fen, to_fen
from alphamoe.market.limits import limit_prices
from alphamoe.types import Board

SYMBOL = {Board.MAIN: "600000.SH", Board.STAR: "688001.SH", Board.CHINEXT: "300001.SZ", Board.BSE: "830799.BJ"}
# days on both sides of every dated change of the limit rules
DAYS = [
    date(2009, 11, 2),
    date(2019, 7, 22),
    date(2020, 8, 21),
    date(2020, 8, 24),
    date(2021, 11, 15),
    date(2023, 4, 7),
    date(2023, 4, 10),
    date(2025, 7, 4),
    date(2025, 7, 7),
]


def test_band_fen_when_large_random_sample_then_equals_limit_prices() -> None:
    rng = np.random.default_rng(0)
    n = 30_000
    # prices in fen, with many ending in 5 so that prev × (1 ± pct) lands exactly on half a tick
    prev = np.where(rng.random(n) < 0.5, rng.integers(1, 300, n) * 10 + 5, rng.integers(1, 200_000, n))
    codes = rng.integers(0, len(BOARDS), n).astype(np.int8)
    st = rng.random(n) < 0.3
    listing = rng.integers(0, 8, n)
    relisting = rng.random(n) < 0.05
    days = rng.integers(0, len(DAYS), n)
    for k, day in enumerate(DAYS):
        rows = np.flatnonzero(days == k)
        down, up = band_fen(codes[rows], prev[rows], day, st[rows], listing[rows], relisting[rows])
        for j, row in enumerate(rows):
            band = limit_prices(
                SYMBOL[BOARDS[codes[row]]],
                Decimal(int(prev[row])) / 100,
                day,
                st=bool(st[row]),
                listing_day_index=int(listing[row]),
                relisting=bool(relisting[row]),
            )
            expected_up = int(band.up * 100) if band.limited else int(NO_LIMIT_FEN)
            assert (int(down[j]), int(up[j])) == (int(band.down * 100), expected_up), (row, day)


def test_band_fen_when_half_tick_product_then_rounds_half_up() -> None:
    # 10.05 × 1.1 = 11.055 → 11.06 and 10.05 × 0.9 = 9.045 → 9.05: the float products would misround
    down, up = band_fen(
        np.array([0], dtype=np.int8), np.array([1005]), date(2024, 1, 2), np.array([False]), np.array([9])
    )
    assert (int(down[0]), int(up[0])) == (905, 1106)


def test_band_fen_when_board_has_no_rule_yet_then_no_limit() -> None:
    bse = np.array([BOARDS.index(Board.BSE)], dtype=np.int8)
    down, up = band_fen(bse, np.array([1000]), date(2021, 11, 12), np.array([False]), np.array([50]))
    assert (int(down[0]), int(up[0])) == (1, int(NO_LIMIT_FEN))


@pytest.mark.parametrize("text", ["0.01", "0.07", "1.15", "11.06", "12.34", "1799.99"])
def test_fen_when_round_trip_then_decimal_text_is_exact(text: str) -> None:
    fen = to_fen(np.array([float(text)]))
    assert int(fen[0]) == int(Decimal(text) * 100)
    assert Decimal(str(from_fen(fen)[0])) == Decimal(text)
