"""The rules-on engine on the synthetic market: point in time, deterministic, every fill legal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import Prepared, prepare, simulate
from alphamoe.backtest.metrics import round_trips
from alphamoe.backtest.result import BacktestResult
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import trade_fees
from alphamoe.market.lots import buy_quantity_error
from alphamoe.strategy.trend_breakout import TrendBreakout
from alphamoe.types import Side

START, END, SHORT_END = date(2024, 7, 1), date(2025, 3, 31), date(2024, 12, 31)
CONFIG = BacktestConfig(warmup=120)


@pytest.fixture(scope="module")
def prepared(market_dir: Path) -> Prepared:
    return prepare(BarStore(market_dir), START, END, TrendBreakout(), CONFIG)


@pytest.fixture(scope="module")
def result(prepared: Prepared) -> BacktestResult:
    return simulate(prepared)


def test_backtest_when_run_then_it_trades_and_marks_every_session(result: BacktestResult) -> None:
    assert result.metrics.fills > 50 and result.metrics.round_trips > 10
    assert len(result.equity) == result.sessions and result.equity[0].day >= START and result.equity[-1].day <= END


def test_backtest_when_run_twice_then_identical(prepared: Prepared, result: BacktestResult) -> None:
    again = simulate(prepared)
    assert again.trades == result.trades and again.equity == result.equity


def test_backtest_when_later_bars_exist_then_earlier_trades_unchanged(market_dir: Path, result: BacktestResult) -> None:
    short = simulate(prepare(BarStore(market_dir), START, SHORT_END, TrendBreakout(), CONFIG))
    assert short.trades == [t for t in result.trades if t.day <= SHORT_END]
    assert short.equity == [p for p in result.equity if p.day <= SHORT_END]


def test_backtest_fills_when_checked_then_lots_fees_and_t_plus_one_hold(
    prepared: Prepared, result: BacktestResult
) -> None:
    bought_on: dict[str, date] = {}
    market = prepared.market
    rows = {prepared.day(r): r for r in prepared.rows}
    cols = {s: i for i, s in enumerate(market.panel.symbols)}
    for t in result.trades:
        row, i = rows[t.day], cols[t.symbol]
        assert market.traded[row, i], f"{t} filled on a day without a bar"
        fen = int(t.price * 100)
        assert market.low[row, i] <= fen <= market.high[row, i], f"{t} outside the bar"
        assert t.fees == trade_fees(t.symbol, t.side, t.quantity, t.price, t.day, CONFIG.commission)
        if t.side == Side.BUY:
            assert buy_quantity_error(t.symbol, t.quantity) is None
            assert not market.buy_sealed(row, i)
            bought_on[t.symbol] = t.day
        else:
            assert t.day > bought_on[t.symbol], f"{t} sold on the day it was bought (T+1)"
            assert not market.sell_sealed(row, i)


def test_backtest_cash_when_replayed_from_trades_then_equals_final_cash(result: BacktestResult) -> None:
    # the trades' cash and the dividends their lots received (the synthetic market's ex-rights days)
    trips, _ = round_trips(result.trades, [p.day for p in result.equity], result.actions)
    cash = CONFIG.initial_cash + sum((t.income for t in trips), Decimal(0))
    for t in result.trades:
        value = t.quantity * t.price
        cash += -(value + t.fees) if t.side == Side.BUY else value - t.fees
    assert float(cash) == pytest.approx(result.equity[-1].cash, abs=1e-6)
    assert cash >= Decimal("0")
