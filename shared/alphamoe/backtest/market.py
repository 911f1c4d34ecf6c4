"""The backtest's view of the market: raw bars in whole fen, the day's band, sealed boards, eligibility.

Everything here is T×N over the panel and computed once, so the day loop only indexes. Prices are whole
fen (int64) so fills, limits and fees are exact: a float bar price on the tick converts without error.
The arrays are row-major (a session's row is contiguous: the loop's access) while the panel may be
column-major (the strategy kernels' layout, which `load_range` reads).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from alphamoe.market.bands import NO_LIMIT_FEN, band_fen, band_regime, board_codes, to_fen
from alphamoe.market.bars import BoolArray, Panel
from alphamoe.market.boards import board_of

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
    volume: npt.NDArray[np.float64]  # the panel's, row-major: the compiled loop's layout whatever the panel's
    st: BoolArray  # the panel's, row-major

    def buy_sealed(self, row: int, col: int) -> bool:
        """Return True when the bar sat at limit-up all day: a buy queued at the limit never fills."""
        return bool(self.high[row, col] == self.low[row, col] == self.up[row, col])

    def sell_sealed(self, row: int, col: int) -> bool:
        """Return True when the bar sat at limit-down all day: a sell never fills."""
        return bool(self.high[row, col] == self.low[row, col] == self.down[row, col])


def build_market(panel: Panel, first_row: int, *, min_listing_days: int) -> BacktestMarket:
    """Return the fen arrays, bands and eligibility of `panel`; backtest sessions start at `first_row`.

    Every array is computed in blocks of at most `CHUNK_ROWS` rows (each under one regime of the rule
    book) into C-ordered outputs (the compiled loop's layout), so the temporaries stay a few MB instead of
    one panel-sized array each, and the blocks run on a thread per core (NumPy releases the GIL).
    """
    shape = panel.close.shape
    open_, high, low, close, prev, up, down = (np.empty(shape, dtype=np.int64) for _ in range(7))
    traded, st, ready, sealed_up = (np.empty(shape, dtype=np.bool_) for _ in range(4))
    volume = np.empty(shape, dtype=np.float64)
    codes = board_codes([board_of(s) for s in panel.symbols])
    days: list[date] = panel.dates.astype("datetime64[D]").tolist()

    def fill(block: tuple[slice, date]) -> None:
        rows, day = block
        listing = _row_block(panel.listing_index, rows)
        where = np.greater_equal(listing, 0, out=traded[rows])  # `Panel.traded`
        _row_block(panel.st, rows, st[rows])
        _row_block(panel.volume, rows, volume[rows])
        for out, values in (
            (open_, panel.open),
            (high, panel.high),
            (low, panel.low),
            (close, panel.close),
            (prev, panel.prev_close),
        ):
            block_values = _row_block(values, rows)
            np.copyto(block_values, 0.0, where=np.isnan(block_values))  # NaN → 0 (±inf give what they gave)
            np.multiply(to_fen(block_values), where, out=out[rows])  # 0 where no bar
        down[rows], up[rows] = band_fen(codes, prev[rows], day, st[rows], listing)
        sealed_up[rows] = where & (high[rows] == low[rows]) & (up[rows] < NO_LIMIT_FEN) & (close[rows] >= up[rows])
        ready[rows] = where & ~st[rows] & (listing >= min_listing_days)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(fill, _blocks(days)))
    eligible = np.zeros_like(traded)
    eligible[1:] = ready[1:] & traded[:-1] & ~sealed_up[:-1]
    return BacktestMarket(
        panel=panel,
        first_row=first_row,
        open=open_,
        high=high,
        low=low,
        close=close,
        prev_close=prev,
        up=up,
        down=down,
        eligible=eligible,
        traded=traded,
        volume=volume,
        st=st,
    )


CHUNK_ROWS = 64  # rows per block of `build_market`: ~3 MB temporaries at 5,500 stocks
TILE_COLUMNS = 256  # columns per copy of a column-major block: its columns' pages stay inside the TLB


def _row_block(values: npt.NDArray[Any], rows: slice, out: npt.NDArray[Any] | None = None) -> npt.NDArray[Any]:
    # rows of a panel field as a C-ordered copy (into `out` when given), tile by tile: a column-major panel
    # puts a row's cells a whole column apart, and a copy of the whole row width misses the TLB on each
    part = values[rows]
    block = np.empty(part.shape, dtype=values.dtype) if out is None else out
    for col in range(0, part.shape[1], TILE_COLUMNS):
        block[:, col : col + TILE_COLUMNS] = part[:, col : col + TILE_COLUMNS]
    return block


def _blocks(days: list[date]) -> list[tuple[slice, date]]:
    # blocks of at most CHUNK_ROWS rows inside each run of sessions under the same rule book entries (bands
    # and no-limit days per board), each with the run's first day, whose rules `band_fen` applies to it
    blocks, start = [], 0
    for end in range(1, len(days) + 1):
        if end < len(days) and band_regime(days[end]) == band_regime(days[start]):
            continue
        blocks += [(slice(a, min(a + CHUNK_ROWS, end)), days[start]) for a in range(start, end, CHUNK_ROWS)]
        start = end
    return blocks
