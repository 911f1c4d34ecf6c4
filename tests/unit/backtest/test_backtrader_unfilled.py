"""Backtrader lists each order it did not fill in full, as the reference engine does (issue 15, item 6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from alphamoe.backtest.bt_engine import run_backtrader
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import prepare, simulate
from alphamoe.market.bars import BarStore
from alphamoe.risk.config import RiskLimits
from alphamoe.sizing.config import SizingConfig
from alphamoe.strategy.trend_breakout import TrendBreakout

START, END = date(2024, 7, 1), date(2025, 3, 31)
# a small account on thin volume: orders cut by the volume cap, others short of cash or never reaching their limit
THIN = BacktestConfig(
    warmup=120,
    initial_cash=Decimal("150000"),
    sizing=SizingConfig(kelly_fraction=1.0, max_position_weight=0.4, min_order_value=Decimal(0)),
    risk=RiskLimits(max_position_weight=0.4),
    volume_cap=0.0005,
)


@pytest.mark.slow
def test_backtrader_when_orders_unfilled_then_listed_one_by_one_as_the_reference_lists_them(market_dir: Path) -> None:
    store = BarStore(market_dir)
    whole = prepare(store, START, END, TrendBreakout(), THIN)
    counts = whole.signals.entries[whole.market.first_row :].sum(axis=0)  # the stocks that trade most
    busiest = sorted(whole.market.panel.symbols[i] for i in np.lexsort((np.arange(len(counts)), -counts))[:12])
    prepared = prepare(store, START, END, TrendBreakout(), THIN, busiest)
    ours, theirs = simulate(prepared), run_backtrader(prepared)
    assert sorted(t.model_dump_json() for t in theirs.trades) == sorted(t.model_dump_json() for t in ours.trades)
    np.testing.assert_allclose([p.equity for p in theirs.equity], [p.equity for p in ours.equity], rtol=1e-9)
    assert ours.unfilled_orders, "nothing unfilled: the comparison would prove nothing"
    assert {m.reason for m in ours.unfilled_orders} >= {"volume_cap"}
    assert theirs.unfilled_orders == ours.unfilled_orders
    assert theirs.unfilled == ours.unfilled
