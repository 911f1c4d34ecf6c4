"""Kelly statistics for every backtest day, point in time, exactly as the live scan computes them that day.

`strategy.stats` holds the one definition both call: p and b are refreshed at the close of the first session
of each calendar-anchored block of `refresh` weekdays (`refresh_rows`), each refresh running the strategy
on the `lookback` sessions ending at its row alone, flat at the first (`kelly_at`), shrunk toward the
board and the universe (Beta priors of `prior_strength` pseudo-trades). A decision at row t (for session
t+1) reads the refresh of t's block, so a backtest starting on any day and the day-by-day live run size
every pick with the same p and b. The panel needs `kelly_history(lookback, refresh)` sessions before the
first decision row for the first window to be whole (`prepare` loads them). The windows' trades come from
`Strategy.window_trades`: one fused pass over every window for TrendBreakout (the same trades as running
it on each window alone, tested bit for bit), each window on its own for other strategies. A run given a
`KellyCache` keeps each window's trades for the next (`backtest.kelly_cache`): the windows are anchored on
the calendar, so a rerun, another span or new sizing settings read them back, and only missing ones run.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from alphamoe.backtest.kelly_cache import KellyCache
from alphamoe.market.bars import Panel
from alphamoe.strategy.base import Strategy
from alphamoe.strategy.stats import (
    DEFAULT_FEE_RATE,
    ClosedTrades,
    KellyStats,
    kelly_stats,
    refresh_rows,
    window_start,
)


@dataclass(frozen=True)
class KellySchedule:
    """Kelly statistics refreshed at fixed decision rows; `at(row)` is what a decision at `row` may use."""

    rows: tuple[int, ...]
    tables: tuple[KellyStats, ...]
    cached: int = 0  # refreshes whose trades were read from the cache
    computed: int = 0  # refreshes whose trades the strategy computed

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
    cache: KellyCache | None = None,
) -> KellySchedule:
    """Return the statistics of every refresh a decision row from `first_decision_row` on reads (module
    docstring); with a `cache`, each refresh's trades are read from it when a run already computed them."""
    first = max(first_decision_row, 0)
    of_row = refresh_rows(panel.dates, refresh)
    rows = tuple(sorted({int(r) for r in of_row[first:]})) or (first,)
    trades: dict[int, ClosedTrades] = {}
    keys: dict[int, str] = {}
    if cache is not None:
        for row in rows:
            keys[row] = cache.key(panel, window_start(row, lookback), row, strategy, DEFAULT_FEE_RATE)
            stored = cache.get(keys[row])
            if stored is not None:
                trades[row] = stored
    missing = [row for row in rows if row not in trades]
    computed = strategy.window_trades(panel, missing, lookback=lookback, fee_rate=DEFAULT_FEE_RATE)
    for row, found in zip(missing, computed, strict=True):
        trades[row] = found
        if cache is not None:
            cache.put(keys[row], found)
    if cache is not None:
        cache.prune()
    tables = tuple(kelly_stats(trades[row], panel.symbols, prior_strength=prior_strength) for row in rows)
    return KellySchedule(rows=rows, tables=tables, cached=len(rows) - len(missing), computed=len(missing))
