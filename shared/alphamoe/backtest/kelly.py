"""Kelly statistics for every backtest day, point in time: refreshed from the strategy's own past trades.

The strategy's own trades come from one `strategy.stats.closed_trades` run over the whole panel (the path
it takes from the panel's first row; a signal at row t fills at the next traded open). The statistics
used on session d are those of the last refresh at a decision row r ≤ d−1, built from the trades with
  entry_row ≥ r − stats_lookback + 1  and  exit_row ≤ r
i.e. the trades a live scan with a `stats_lookback` panel ending at r would count as closed (it starts
flat at the window's first row; here a trade opened before the window is left out), shrunk toward its
board and the board toward the universe by `strategy.stats.kelly_stats` (Beta priors of `prior_strength`
pseudo-trades). Refreshing
every `stats_refresh` sessions instead of daily changes only how fresh p and b are, never what they see.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from alphamoe.market.bars import Panel
from alphamoe.strategy.base import StrategySignals
from alphamoe.strategy.stats import ClosedTrades, KellyStats, closed_trades, kelly_stats


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
    signals: StrategySignals,
    *,
    first_decision_row: int,
    lookback: int,
    refresh: int,
    prior_strength: float,
) -> KellySchedule:
    """Return the statistics refreshed every `refresh` rows from `first_decision_row` (module docstring)."""
    trades = closed_trades(panel, signals)
    rows = tuple(range(max(first_decision_row, 0), panel.close.shape[0], refresh)) or (max(first_decision_row, 0),)
    tables = tuple(
        kelly_stats(_window(trades, r - lookback + 1, r), panel.symbols, prior_strength=prior_strength) for r in rows
    )
    return KellySchedule(rows=rows, tables=tables)


def _window(trades: ClosedTrades, first: int, last: int) -> ClosedTrades:
    keep = (trades.entry_row >= first) & (trades.exit_row <= last)
    return ClosedTrades(
        column=trades.column[keep],
        entry_row=trades.entry_row[keep],
        exit_row=trades.exit_row[keep],
        ret=trades.ret[keep],
    )
