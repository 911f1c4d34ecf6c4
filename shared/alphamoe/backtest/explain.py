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

from alphamoe.backtest.picks import CONFIRM
from alphamoe.backtest.result import TradeRecord
from alphamoe.backtest.trusted import trusted
from alphamoe.types import Side

if TYPE_CHECKING:
    from alphamoe.backtest.engine import Prepared

IntArray = npt.NDArray[np.int64]
EXIT = "the strategy's exit signal"
TRIM = "trim of a holding over the position cap"


def fill_reasons(prepared: Prepared, rows: IntArray, cols: IntArray, buys: npt.NDArray[np.bool_]) -> list[str]:
    """Return why each fill (session row, column, buy?) happened (module docstring).

    With a strategy book a sell is an exit when any strategy exits the stock, and a buy names the
    strategies whose confirmed pick it is, each with its router summary ("momentum_composite: …").
    """
    n_cols, t = len(prepared.market.panel.symbols), rows - 1
    exits = np.zeros(len(rows), dtype=bool)
    for leg in prepared.legs:
        exits |= leg.signals.exits[t, cols]
    reasons = np.where(exits, EXIT, TRIM).astype(object)
    if buys.any():
        wanted = t[buys] * n_cols + cols[buys]
        found: list[list[str]] = [[] for _ in range(len(wanted))]
        for leg in prepared.legs:
            picks = leg.picks
            confirmed = np.flatnonzero(picks.verdict == CONFIRM)
            pick_rows = np.repeat(np.arange(len(picks.start) - 1), np.diff(picks.start))[confirmed]
            keys = pick_rows * n_cols + picks.cols[confirmed]
            order = np.argsort(keys, kind="stable")
            at = np.minimum(np.searchsorted(keys[order], wanted), max(len(keys) - 1, 0))
            hit = keys[order[at]] == wanted if len(keys) else np.zeros(len(wanted), dtype=bool)
            tag = f"{leg.strategy}: " if prepared.book else ""
            for n, k in zip(np.flatnonzero(hit).tolist(), confirmed[order[at[hit]]].tolist(), strict=True):
                found[n].append(tag + picks.summaries[k])
        if not all(found):
            raise AssertionError("a buy without a pick behind it: sizing bought what the scan did not pick")
        reasons[buys] = ["; ".join(why) for why in found]
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
