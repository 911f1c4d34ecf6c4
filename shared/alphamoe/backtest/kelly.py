"""Kelly statistics for every backtest day, point in time, exactly as the live scan computes them that day.

`strategy.stats` holds the one definition both call: p and b are refreshed at the close of the first session
of each calendar-anchored block of `refresh` weekdays (`refresh_rows`), each refresh running the strategy
on the `lookback` sessions ending at its row alone, flat at the first (`kelly_at`), shrunk toward the
board and the universe (Beta priors of `prior_strength` pseudo-trades). A decision at row t (for session
t+1) reads the refresh of t's block, so a backtest starting on any day and the day-by-day live run size
every pick with the same p and b. The panel needs `kelly_history(lookback, refresh)` sessions before the
first decision row for the first window to be whole (`prepare` loads them). Each refresh runs the strategy
on its own window (~0.1 s at 5,500 stocks, ~12 a year), so the refreshes run on a thread per core.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from alphamoe.market.bars import Panel
from alphamoe.strategy.base import Strategy
from alphamoe.strategy.stats import KellyStats, kelly_at, refresh_rows


@dataclass(frozen=True)
class KellySchedule:
    """Kelly statistics refreshed at fixed decision rows; `at(row)` is what a decision at `row` may use."""

    rows: tuple[int, ...]
    tables: tuple[KellyStats, ...]

    def at(self, row: int) -> KellyStats:
        k = bisect_right(self.rows, row) - 1
        if k < 0:
            raise ValueError(f"no Kelly statistics refreshed at or before row {row} (first at {self.rows[0]})")
        return self.tables[k]


def kelly_schedule(
    panel: Panel,
    strategy: Strategy,
    *,
    first_decision_row: int,
    lookback: int,
    refresh: int,
    prior_strength: float,
) -> KellySchedule:
    """Return the statistics of every refresh a decision row from `first_decision_row` on reads (module docstring)."""
    first = max(first_decision_row, 0)
    of_row = refresh_rows(panel.dates, refresh)
    rows = tuple(sorted({int(r) for r in of_row[first:]})) or (first,)
    with ThreadPoolExecutor(max_workers=min(len(rows), os.cpu_count() or 1)) as pool:  # the kernels release the GIL
        tables = tuple(
            pool.map(lambda r: kelly_at(panel, strategy, r, lookback=lookback, prior_strength=prior_strength), rows)
        )
    return KellySchedule(rows=rows, tables=tables)
