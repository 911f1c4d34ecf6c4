"""The backtest's view of the market: raw bars in whole fen, the day's band, sealed boards, eligibility.

Everything here is T×N over the panel and computed once, so the day loop only indexes. Prices are whole
fen (int64) so fills, limits and fees are exact: a float bar price on the tick converts without error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from alphamoe.market.bands import BOARDS, NO_LIMIT_FEN, band_fen, board_codes, to_fen
from alphamoe.market.bars import BoolArray, Panel
from alphamoe.market.boards import board_of
from alphamoe.market.rules import rulebook

FenArray = npt.NDArray[np.int64]


@lru_cache(maxsize=1 << 16)
def fen_price(fen: int) -> Decimal:
    """Return whole fen as the exact CNY Decimal (cached: the same prices recur every session)."""
    return Decimal(int(fen)).scaleb(-2)


@dataclass(frozen=True)
class BacktestMarket:
    """Raw bars in fen, daily bands and what can be traded, for every row of `panel`.

    `eligible[d, i]`: stock i may be a candidate for session d, by the scan's rules (`scan.scanner`):
    trading on d (pre-open reference exists), not ST on d, listed `min_listing_days` sessions by d, with
    a bar on d−1, and not sealed at limit-up on d−1 (high == low == limit-up). Row 0 is never eligible.
    """

    panel: Panel
    first_row: int
    open: FenArray
    high: FenArray
    low: FenArray
    close: FenArray
    prev_close: FenArray
    up: FenArray  # NO_LIMIT_FEN on days without a limit
    down: FenArray
    eligible: BoolArray
    traded: BoolArray  # the stock has a bar (listed, not suspended)

    def buy_sealed(self, row: int, col: int) -> bool:
        """Return True when the bar sat at limit-up all day: a buy queued at the limit never fills."""
        return bool(self.high[row, col] == self.low[row, col] == self.up[row, col])

    def sell_sealed(self, row: int, col: int) -> bool:
        """Return True when the bar sat at limit-down all day: a sell never fills."""
        return bool(self.high[row, col] == self.low[row, col] == self.down[row, col])


def build_market(panel: Panel, first_row: int, *, min_listing_days: int) -> BacktestMarket:
    """Return the fen arrays, bands and eligibility of `panel`; backtest sessions start at `first_row`."""
    traded = panel.traded

    def fen(values: npt.NDArray[np.float64]) -> FenArray:
        return np.where(traded, to_fen(np.nan_to_num(values)), 0)

    prev = fen(panel.prev_close)
    down, up = _bands(panel, prev)
    high, low, close = fen(panel.high), fen(panel.low), fen(panel.close)
    sealed_up = traded & (high == low) & (up < NO_LIMIT_FEN) & (close >= up)
    eligible = np.zeros_like(traded)
    eligible[1:] = (
        traded[1:] & ~panel.st[1:] & (panel.listing_index[1:] >= min_listing_days) & traded[:-1] & ~sealed_up[:-1]
    )
    return BacktestMarket(
        panel=panel,
        first_row=first_row,
        open=fen(panel.open),
        high=high,
        low=low,
        close=close,
        prev_close=prev,
        up=up,
        down=down,
        eligible=eligible,
        traded=traded,
    )


def _bands(panel: Panel, prev: FenArray) -> tuple[FenArray, FenArray]:
    # each run of sessions under the same rule book entries (bands and no-limit days per board) in one call
    codes = board_codes([board_of(s) for s in panel.symbols])
    days = [pd.Timestamp(d).date() for d in panel.dates]
    down, up = np.empty_like(prev), np.empty_like(prev)
    start = 0
    for end in range(1, len(days) + 1):
        if end < len(days) and _regime(days[end]) == _regime(days[start]):
            continue
        rows = slice(start, end)
        down[rows], up[rows] = band_fen(
            np.broadcast_to(codes, prev[rows].shape), prev[rows], days[start], panel.st[rows], panel.listing_index[rows]
        )
        start = end
    return down, up


@lru_cache(maxsize=1 << 14)
def _regime(day: date) -> tuple[object, ...]:
    """Every rule-book entry `band_fen` reads on `day`: two days with the same regime get the same bands."""
    book = rulebook()
    return tuple(
        (book.limit_pct(b, day, st=False), book.limit_pct(b, day, st=True), book.no_limit_listing_days(b, day))
        for b in BOARDS
    )
