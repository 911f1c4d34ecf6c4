"""Why each backtest fill happened: the router's summary behind a buy, the exit signal or the cap behind a sell.

A buy on session d comes from one of row d−1's picks (only confirmed ones are sized), so it carries that
pick's `reasoning_summary`; a sell is the strategy's exit signal of row d−1, or otherwise a trim of a holding
over the position cap (sizing proposes no other sell). Derived from the prepared picks and signals after
the run, so every engine's fills are explained the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from alphamoe.backtest.result import TradeRecord
from alphamoe.backtest.trusted import trusted
from alphamoe.types import Side

if TYPE_CHECKING:
    from alphamoe.backtest.engine import Prepared

EXIT = "sell: the strategy's exit signal"
TRIM = "sell: trim of a holding over the position cap"


def explain(prepared: Prepared, trades: Sequence[TradeRecord]) -> list[TradeRecord]:
    """Return `trades` with `why` filled in (module docstring)."""
    picks, exits = prepared.picks, prepared.signals.exits
    row_of = {prepared.day(row): row for row in prepared.rows}
    col_of = {symbol: i for i, symbol in enumerate(prepared.market.panel.symbols)}
    summary_of: dict[tuple[int, int], str] = {}
    for t in sorted({row_of[trade.day] - 1 for trade in trades if trade.side is Side.BUY}):
        at = picks.at(t)
        summary_of.update(zip(((t, c) for c in picks.cols[at].tolist()), picks.summaries[at], strict=True))
    explained = []
    for trade in trades:
        t, c = row_of[trade.day] - 1, col_of[trade.symbol]
        why = "buy: " + summary_of[t, c] if trade.side is Side.BUY else EXIT if exits[t, c] else TRIM
        explained.append(trusted(TradeRecord, **{**trade.__dict__, "why": why}))
    return explained
