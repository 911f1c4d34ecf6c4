"""The trader's view of a finished run: against the benchmark, by year, by round trip and by stock.

Every figure is one of `backtest.metrics`' definitions; this module only lines the run up with its benchmark
and gathers the tables the JSON, the terminal and the report page show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from alphamoe.backtest.metrics import FloatArray, round_trips, versus_benchmark, yearly_returns
from alphamoe.backtest.result import Analysis, BacktestResult, RoundTrip, SymbolSummary, YearReturn

UNFILLED_MEANINGS = {
    "suspended": "no bar: the stock did not trade that session",
    "cash": "not enough cash once the session's open buys had frozen theirs",
    "t_plus_one": "more shares than are sellable: today's buys settle T+1",
    "limit_not_reached": "the session's prices never reached the order's limit",
    "sealed_limit_up": "sealed at limit-up all session (一字涨停): no seller for a buy",
    "sealed_limit_down": "sealed at limit-down all session (一字跌停): no buyer for a sell",
    "volume_cap": "the session's volume cap: none left, or only part filled (a partial fill, short the rest)",
    "lot": "the quantity broke the board-lot rule",
}
"""Why an approved order did not fill, by the engines' reason names (`backtest.engine.fill_order`)."""


def analysed(result: BacktestResult, benchmark: pd.Series | None) -> BacktestResult:
    """Return `result` with its `analysis` (see `analyse`)."""
    return BacktestResult(**{**result.__dict__, "analysis": analyse(result, benchmark)})


def analyse(result: BacktestResult, benchmark: pd.Series | None) -> Analysis:
    """Return the run against `benchmark` (closes by day; None: no comparison), by year, round trip and stock."""
    days = [p.day for p in result.equity]
    values = account_values(result)
    trips, unmatched = round_trips(result.trades, days, result.actions)
    versus, bench_years = None, {}
    if benchmark is not None and not benchmark.dropna().empty and days:
        closes = benchmark_closes(benchmark, days)
        versus = versus_benchmark(str(benchmark.name), values, closes, days[0], days[-1])
        bench_years = yearly_returns(closes, days)
    yearly = [
        YearReturn(
            year=year,
            strategy=value,
            benchmark=bench_years.get(year),
            excess=value - bench_years[year] if year in bench_years else None,
        )
        for year, value in yearly_returns(values, days).items()
    ]
    return Analysis(
        versus=versus, yearly=yearly, round_trips=trips, symbols=by_symbol(trips), unmatched_sells=unmatched
    )


def account_values(result: BacktestResult) -> FloatArray:
    """Return [initial cash, equity at each session's close]."""
    return np.array([float(result.initial_cash), *(p.equity for p in result.equity)], dtype=np.float64)


def benchmark_closes(benchmark: pd.Series, days: Sequence[date]) -> FloatArray:
    """Return [base, B_0 … B_{n−1}]: the benchmark's last close on or before each session, after its base.

    The base is its last close before the first session, so b_0 is the first session's own move (as r_0 is
    the account's); a benchmark that starts later is held at its first close until then.
    """
    series = benchmark.dropna().sort_index()
    index = pd.DatetimeIndex(series.index)
    values = series.to_numpy(dtype=np.float64)
    stamps = pd.DatetimeIndex([pd.Timestamp(d) for d in days])
    closes = values[np.maximum(index.searchsorted(stamps, side="right") - 1, 0)]
    before = int(index.searchsorted(stamps[0], side="left")) - 1
    return np.concatenate([[values[before] if before >= 0 else closes[0]], closes])


def by_symbol(trips: Sequence[RoundTrip]) -> list[SymbolSummary]:
    """Return each stock's closed round trips, P&L, win rate and the shares still open, by symbol."""
    closed: dict[str, list[Decimal]] = defaultdict(list)
    still: dict[str, int] = defaultdict(int)
    for t in trips:
        if t.pnl is None:
            still[t.symbol] += t.quantity
        else:
            closed[t.symbol].append(t.pnl)
    out = []
    for symbol in sorted(closed.keys() | still.keys()):
        pnls = closed.get(symbol, [])
        wins = sum(p > 0 for p in pnls)
        out.append(
            SymbolSummary(
                symbol=symbol,
                round_trips=len(pnls),
                wins=wins,
                win_rate=wins / len(pnls) if pnls else None,
                pnl=sum(pnls, Decimal("0")),
                open_quantity=still.get(symbol, 0),
            )
        )
    return out
