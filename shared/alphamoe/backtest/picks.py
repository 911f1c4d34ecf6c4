"""The scan's picks of every session, chosen once over the whole panel, and the router's word on each.

Row t's picks are what the live scan emits after row t's close: the entries with a finite score on stocks
eligible for session t+1, best score first, ties in symbol (column) order, at most `max_signals`. They
depend on the signals alone, never on the account, so every engine reads this one list instead of
choosing again inside its loop. Each pick then carries the router's verdict, confidence and summary
(`backtest.routing`): sizing takes only confirmed picks, at their confidence, as live `size_batch` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from alphamoe.backtest.market import BacktestMarket
from alphamoe.strategy.base import StrategySignals
from alphamoe.types import Verdict

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
VERDICTS = (Verdict.CONFIRM, Verdict.VETO, Verdict.ABSTAIN)
"""Verdict codes of `Picks.verdict`: the index in this tuple."""
CONFIRM = VERDICTS.index(Verdict.CONFIRM)


def candidate_mask(market: BacktestMarket, signals: StrategySignals) -> npt.NDArray[np.bool_]:
    """Return where row t holds a scan candidate: an entry with a score, on a stock eligible on session t+1."""
    with np.errstate(invalid="ignore"):
        candidates = signals.entries & np.isfinite(signals.score)
    candidates[:-1] &= market.eligible[1:]
    candidates[-1] = False
    return candidates


@dataclass(frozen=True)
class Picks:
    """Every row's picks, flat: row t's are `cols[start[t]:start[t+1]]`, best first; one verdict per pick."""

    start: IntArray  # (rows + 1,)
    cols: IntArray
    verdict: npt.NDArray[np.int8]  # index into VERDICTS
    confidence: FloatArray  # the router's confidence in its verdict, [0, 1] (sized only when it confirmed)
    summaries: Sequence[str]  # the router's reasoning_summary per pick (router/panel.py builds each when read)

    def at(self, t: int) -> slice:
        return slice(int(self.start[t]), int(self.start[t + 1]))

    @property
    def sized_confidence(self) -> FloatArray:
        """Per pick: the confidence sizing multiplies by, NaN where the router did not confirm (never sized)."""
        return np.where(self.verdict == CONFIRM, self.confidence, np.nan)

    def counts(self) -> dict[str, int]:
        """Picks by verdict, e.g. {"confirm": 812, "veto": 301, "abstain": 44}."""
        tally = np.bincount(self.verdict, minlength=len(VERDICTS))
        return {v.value: int(n) for v, n in zip(VERDICTS, tally, strict=True)}


def scan_picks(market: BacktestMarket, signals: StrategySignals, max_signals: int) -> tuple[IntArray, IntArray]:
    """Return (start, cols) of every decision row's picks (module docstring), with no verdicts yet.

    Rows before the first session's decision row (`market.first_row − 1`) are warm-up: no picks there.
    """
    n_rows = signals.score.shape[0]
    rows, cols = _candidates(market, signals, max(market.first_row - 1, 0))
    order = np.lexsort((cols, -signals.score[rows, cols], rows))  # by row, score descending, then column
    rows, cols = rows[order], cols[order]
    first = np.searchsorted(rows, np.arange(n_rows), side="left")
    keep = np.arange(len(rows)) - first[rows] < max_signals
    rows, cols = rows[keep], cols[keep].astype(np.int64)
    start = np.searchsorted(rows, np.arange(n_rows + 1), side="left").astype(np.int64)
    return start, cols


def _candidates(market: BacktestMarket, signals: StrategySignals, first: int) -> tuple[IntArray, IntArray]:
    # the cells of `candidate_mask` on rows ≥ `first`, found from the entries (a few per session) and tested
    # there, not over the whole panel; the entries are read in their own memory order
    entries = signals.entries
    if entries.flags.f_contiguous:
        cols, rows = np.nonzero(entries.T)
    else:
        rows, cols = np.nonzero(entries)
    keep = (rows >= first) & (rows < entries.shape[0] - 1)
    rows, cols = rows[keep], cols[keep]
    keep = np.isfinite(signals.score[rows, cols]) & market.eligible[rows + 1, cols]
    return rows[keep], cols[keep]
