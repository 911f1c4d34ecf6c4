"""Scatter a long read of bars into the wide panel's fields in one pass (`BarStore.panel`'s inner loop).

The bars arrive sorted by (date, symbol); a column-major panel puts consecutive bars of a day a whole
column apart, so a plain scatter pays a TLB miss per bar and field. Here the bars of a block of days are
merged by column (the smallest pending column first), so each column's days are written side by side.
Any order of the bars gives the same panel (every bar is written once, in order within its day); sorted
input only makes it fast.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from alphamoe.jit import jit

Floats = npt.NDArray[np.float64]
DAYS_PER_BLOCK = 32  # days merged at once: 32 × 9 streams of pages stay inside the TLB


@jit
def scatter_bars(  # one array per panel field: all are written in one pass
    rows: npt.NDArray[np.int32],
    cols: npt.NDArray[np.int32],
    row_stride: int,
    col_stride: int,
    open_: Floats,
    high: Floats,
    low: Floats,
    close: Floats,
    prev_close: Floats,
    volume: Floats,
    amount: Floats,
    st: npt.NDArray[np.bool_],
    listing_index: npt.NDArray[np.int32],
    v_open: Floats,
    v_high: Floats,
    v_low: Floats,
    v_close: Floats,
    v_prev_close: Floats,
    v_volume: Floats,
    v_amount: Floats,
    v_st: npt.NDArray[np.bool_],
    v_listing_index: npt.NDArray[np.int32],
) -> None:
    """Write bar k's fields to flat cell rows[k]·row_stride + cols[k]·col_stride of each (flattened) output.

    Bars with rows[k] < 0 (outside the panel's dates) are skipped. A later bar of the same cell wins.
    """
    n = rows.shape[0]
    start = np.empty(DAYS_PER_BLOCK, dtype=np.int64)
    stop = np.empty(DAYS_PER_BLOCK, dtype=np.int64)
    k = 0
    while k < n:
        if rows[k] < 0:
            k += 1
            continue
        days = 0  # the runs of equal rows (days) from k: up to DAYS_PER_BLOCK of them
        while k < n and days < DAYS_PER_BLOCK and rows[k] >= 0:
            end = k + 1
            while end < n and rows[end] == rows[k]:
                end += 1
            start[days], stop[days] = k, end
            days += 1
            k = end
        pending = days
        while pending > 0:
            low_col = np.int64(2**62)
            for d in range(days):
                if start[d] < stop[d] and cols[start[d]] < low_col:
                    low_col = cols[start[d]]
            for d in range(days):
                p = start[d]
                while p < stop[d] and cols[p] == low_col:
                    cell = rows[p] * row_stride + cols[p] * col_stride
                    open_[cell] = v_open[p]
                    high[cell] = v_high[p]
                    low[cell] = v_low[p]
                    close[cell] = v_close[p]
                    prev_close[cell] = v_prev_close[p]
                    volume[cell] = v_volume[p]
                    amount[cell] = v_amount[p]
                    st[cell] = v_st[p]
                    listing_index[cell] = v_listing_index[p]
                    p += 1
                if p == stop[d] and start[d] < stop[d]:
                    pending -= 1
                start[d] = p


def load_scatter_kernel(index: type = np.int32, fields: tuple[type, ...] = ()) -> None:
    """Make `scatter_bars`' first call on empty arrays of the given types (a panel read's: int32 cells,
    writable outputs, read-only inputs): it loads numba's machinery and the cached machine code, ~0.5 s in
    a cold process, which a reader runs in a thread while its first Parquet read decodes."""
    outputs: list[npt.NDArray[Any]] = [np.empty(0, dtype=dtype) for dtype in fields]
    inputs: list[npt.NDArray[Any]] = [np.empty(0, dtype=dtype) for dtype in fields]
    for array in inputs:
        array.flags.writeable = False
    cells: npt.NDArray[Any] = np.empty(0, dtype=index)
    scatter_bars(cells, cells, 1, 1, *outputs, *inputs)
