"""Why each backtest fill happened: the router's summary behind a buy, the exit signal or the cap behind a sell.

A buy on session d comes from one of row d−1's picks (only confirmed ones are sized), so it carries that
pick's `reasoning_summary`; a sell is the strategy's exit signal of row d−1, or otherwise a trim of a holding
over the position cap (sizing proposes no other sell). Derived from the prepared picks and signals, so every
engine's fills are explained alike; the compiled engine asks for all its fills at once, as arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from alphamoe.backtest.result import TradeRecord
from alphamoe.backtest.trusted import trusted
from alphamoe.types import Side

if TYPE_CHECKING:
    from alphamoe.backtest.engine import Prepared

IntArray = npt.NDArray[np.int64]
EXIT = "the strategy's exit signal"
TRIM = "trim of a holding over the position cap"


def fill_reasons(prepared: Prepared, rows: IntArray, cols: IntArray, buys: npt.NDArray[np.bool_]) -> list[str]:
    """Return why each fill (session row, column, buy?) happened (module docstring)."""
    picks, n_cols = prepared.picks, len(prepared.market.panel.symbols)
    t = rows - 1
    reasons = np.where(prepared.signals.exits[t, cols], EXIT, TRIM).astype(object)
    if buys.any():
        pick_rows = np.repeat(np.arange(len(picks.start) - 1), np.diff(picks.start))
        keys = pick_rows * n_cols + picks.cols
        order = np.argsort(keys, kind="stable")
        wanted = t[buys] * n_cols + cols[buys]
        at = np.searchsorted(keys[order], wanted)
        if not (len(keys) and np.array_equal(keys[order[np.minimum(at, len(keys) - 1)]], wanted)):
            raise AssertionError("a buy without a pick behind it: sizing bought what the scan did not pick")
        found = order[at]
        summaries = picks.summaries
        reasons[buys] = [summaries[k] for k in found.tolist()]
    out: list[str] = reasons.tolist()
    return out


def explained(prepared: Prepared, trades: Sequence[TradeRecord]) -> list[TradeRecord]:
    """Return `trades` (built without a reason) with `why` filled in."""
    if not trades:
        return []
    row_of = {prepared.day(row): row for row in prepared.rows}
    col_of = {symbol: i for i, symbol in enumerate(prepared.market.panel.symbols)}
    rows = np.array([row_of[t.day] for t in trades], dtype=np.int64)
    cols = np.array([col_of[t.symbol] for t in trades], dtype=np.int64)
    buys = np.array([t.side is Side.BUY for t in trades])
    reasons = fill_reasons(prepared, rows, cols, buys)
    return [trusted(TradeRecord, **{**t.__dict__, "why": why}) for t, why in zip(trades, reasons, strict=True)]
