"""Daily price-limit bands of a whole cross-section at once, in integer fen.

The same rule as `alphamoe.market.limits.limit_prices` (tested equal on large samples), vectorised for the
generator: prices are whole fen (int64), so rounding half up to the 0.01 tick is exact integer arithmetic
and no float error can move a limit by a tick.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from alphamoe.market.rules import rulebook
from alphamoe.types import Board

Fen = npt.NDArray[np.int64]
BOARDS: tuple[Board, ...] = tuple(Board)  # board codes are indices into this tuple
NO_LIMIT_FEN = np.int64(10**12)  # "no upper limit": far above any A-share price, safe to multiply
_BP = 10_000  # basis points: limit percentages have at most four decimals


def board_codes(boards: list[Board] | tuple[Board, ...]) -> npt.NDArray[np.int8]:
    return np.array([BOARDS.index(b) for b in boards], dtype=np.int8)


def _bp(pct: Decimal) -> int:
    scaled = pct * _BP
    if scaled != scaled.to_integral_value():
        raise ValueError(f"limit pct {pct} has more than four decimals")
    return int(scaled)


@lru_cache(maxsize=1 << 14)
def band_regime(day: date) -> tuple[object, ...]:
    """Every rule-book entry `band_fen` reads on `day`: two days with the same regime get the same bands, so
    one `band_fen` call serves the bars of all of them."""
    book = rulebook()
    return tuple(
        (book.limit_pct(b, day, st=False), book.limit_pct(b, day, st=True), book.no_limit_listing_days(b, day))
        for b in BOARDS
    )


def band_fen(
    codes: npt.NDArray[np.int8],
    prev_close: Fen,
    day: date,
    st: npt.NDArray[np.bool_],
    listing_index: npt.NDArray[np.integer],
    relisting: npt.NDArray[np.bool_] | None = None,
) -> tuple[Fen, Fen]:
    """Return (limit_down, limit_up) in fen for every stock; no-limit days give (1, NO_LIMIT_FEN).

    `codes` index BOARDS; `prev_close` is the exchange's previous close in fen.
    """
    bp_of, free_of = _band_table(day)
    bp = bp_of[codes, np.asarray(st, dtype=np.intp)]  # one gather per cell instead of a mask per board
    limited = (bp >= 0) & (listing_index >= free_of[codes])
    if relisting is not None:
        limited &= ~relisting
    prev = prev_close.astype(np.int64, copy=False)
    up = np.where(limited, (prev * (_BP + bp) + _BP // 2) // _BP, NO_LIMIT_FEN)
    down = np.where(limited, np.maximum((prev * (_BP - bp) + _BP // 2) // _BP, 1), 1)
    return down.astype(np.int64, copy=False), up.astype(np.int64, copy=False)


@lru_cache(maxsize=1 << 10)
def _band_table(day: date) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    # the rule book on `day` as lookup tables: limit in basis points by [board, st] (-1: no limit) and the
    # no-limit listing days by board
    book = rulebook()
    bp = np.full((len(BOARDS), 2), -1, dtype=np.int64)
    free = np.zeros(len(BOARDS), dtype=np.int64)
    for code, board in enumerate(BOARDS):
        free[code] = book.no_limit_listing_days(board, day)
        for flag in (False, True):
            pct = book.limit_pct(board, day, st=flag)
            bp[code, int(flag)] = -1 if pct is None else _bp(pct)
    bp.flags.writeable = free.flags.writeable = False  # shared by every call on the day
    return bp, free


def to_fen(prices: npt.NDArray[np.float64]) -> Fen:
    """Return float CNY prices as whole fen (prices on the tick convert exactly)."""
    return np.rint(np.asarray(prices, dtype=np.float64) * 100).astype(np.int64)


def from_fen(fen: Fen) -> npt.NDArray[np.float64]:
    """Return fen as float CNY; k/100 is the float nearest to the decimal, so str() prints it exactly."""
    return fen.astype(np.float64) / 100
