"""What a warm run no longer pays again (issue 21, issue 15 item 7): each with the full path's numbers.

The metrics read the closed round trips' P&L without building the trips; a study's trials reuse the fee and
column terms of their one market; the records of a run are built with the garbage collector paused.
"""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from alphamoe.backtest.compiled.engine import simulate_compiled
from alphamoe.backtest.compiled.terms import column_terms, fee_terms
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import Prepared, prepare
from alphamoe.backtest.metrics import closed_pnl, round_trips
from alphamoe.backtest.trusted import collector_paused
from alphamoe.market.bars import BarStore
from alphamoe.strategy.trend_breakout import TrendBreakout


@pytest.fixture(scope="module")
def prepared(market_dir: Path) -> Prepared:
    return prepare(BarStore(market_dir), date(2024, 7, 1), date(2025, 3, 31), TrendBreakout(), BacktestConfig())


def test_closed_pnl_when_a_run_then_the_closed_round_trips_pnl_in_order(prepared: Prepared) -> None:
    result = simulate_compiled(prepared)
    trips, _ = round_trips(result.trades, [p.day for p in result.equity], result.actions)
    closed = [t.pnl for t in trips if t.pnl is not None]
    assert len(closed) > 10, "too few round trips for the comparison to mean anything"
    assert closed_pnl(result.trades, result.actions) == closed


def test_fee_and_column_terms_when_asked_again_for_one_market_then_the_same_terms_are_kept(prepared: Prepared) -> None:
    panel, config = prepared.market.panel, prepared.config
    fees = fee_terms(panel, config)
    again = fee_terms(panel, BacktestConfig())  # an equal config: the same commission terms
    assert again is fees
    columns = column_terms(panel.symbols, prepared.industries)
    assert column_terms(list(panel.symbols), dict(prepared.industries)) is columns
    other = column_terms(panel.symbols, {})  # other industries: other terms
    assert other is not columns and not np.array_equal(other.industry, columns.industry)


def test_collector_paused_when_building_then_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a collector paused by the caller stays paused
    finally:
        gc.enable()
