"""Backtrader validation (DESIGN.md §8): the vectorised engine and Backtrader agree trade for trade.

Both engines take the same decisions (`backtest.decisions`: live size and risk over the strategy's
signals) from their own account; they share nothing of the matching, fees, cash or equity. On real data
and on the synthetic market, a handful of stocks over years: the same fills (day, symbol, side, quantity,
price, fees) and the same final equity within 0.01%.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from alphamoe.backtest.bt_engine import run_backtrader
from alphamoe.backtest.compiled.engine import simulate_compiled
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import Prepared, prepare, simulate
from alphamoe.backtest.result import BacktestResult
from alphamoe.market.bars import BarStore
from alphamoe.risk.config import RiskLimits
from alphamoe.sizing.config import SizingConfig
from alphamoe.strategy.trend_breakout import TrendBreakout

# a small account where cash binds: min commission, frozen open orders and odd lots all matter
TIGHT = BacktestConfig(
    initial_cash=Decimal("150000"),
    sizing=SizingConfig(kelly_fraction=1.0, max_position_weight=0.4),
    risk=RiskLimits(max_position_weight=0.4),
    warmup=120,
)


def _fills(result: BacktestResult) -> list[tuple[object, ...]]:
    return sorted((t.day, t.symbol, t.side.value, t.quantity, t.price, t.fees) for t in result.trades)


def _assert_parity(prepared: Prepared) -> tuple[BacktestResult, BacktestResult]:
    ours, theirs = simulate_compiled(prepared), run_backtrader(prepared)
    assert ours.trades == simulate(prepared).trades  # the default engine is the live-code loop, compiled
    a, b = _fills(ours), _fills(theirs)
    first = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    assert a == b, f"fills differ from #{first}: ours {a[first : first + 3]} vs backtrader {b[first : first + 3]}"
    assert theirs.final_equity == pytest.approx(ours.final_equity, rel=1e-4)
    ours_curve = np.array([p.equity for p in ours.equity])
    theirs_curve = np.array([p.equity for p in theirs.equity])
    np.testing.assert_allclose(theirs_curve, ours_curve, rtol=1e-9)
    return ours, theirs


def _busiest(store: BarStore, start: date, end: date, n: int) -> tuple[str, ...]:
    # the n stocks with the most entry signals: a handful that actually trade
    prepared = prepare(store, start, end, TrendBreakout(), BacktestConfig(warmup=120))
    counts = prepared.signals.entries[prepared.market.first_row :].sum(axis=0)
    order = np.lexsort((np.arange(len(counts)), -counts))[:n]
    return tuple(sorted(prepared.market.panel.symbols[i] for i in order))


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("config", "start"),
    [(BacktestConfig(), date(2014, 1, 1)), (TIGHT, date(2018, 1, 1))],
    ids=["default", "tight-cash"],
)
def test_parity_when_real_stocks_over_years_then_same_fills_and_equity(
    real_backtest_store: Path, config: BacktestConfig, start: date
) -> None:
    prepared = prepare(BarStore(real_backtest_store), start, date(2021, 12, 31), TrendBreakout(), config)
    ours, _ = _assert_parity(prepared)
    assert ours.metrics.round_trips >= 20, "too few trades for the comparison to mean anything"


@pytest.mark.parametrize("config", [BacktestConfig(warmup=120), TIGHT], ids=["default", "tight-cash"])
def test_parity_when_synthetic_market_then_same_fills_and_equity(market_dir: Path, config: BacktestConfig) -> None:
    store = BarStore(market_dir)
    start, end = date(2024, 7, 1), date(2025, 3, 31)
    prepared = prepare(store, start, end, TrendBreakout(), config, _busiest(store, start, end, 8))
    ours, _ = _assert_parity(prepared)
    assert ours.metrics.round_trips >= 10, "too few trades for the comparison to mean anything"
