"""Backtests pay a dividend on its pay date: owed (in the equity) from the ex date, cash from the pay date (issue 15).

Eleven real stocks over 2014–2021, their actions inferred from the previous closes (no pay dates: paid on the
ex date). The same run with every cash dividend paid five calendar days after its ex date (constructed, as
SSE paid in the 2000s) must move the cash on the pay dates instead, keep the equity, and the three engines
must agree.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from alphamoe.backtest.bt_engine import run_backtrader
from alphamoe.backtest.compiled.engine import simulate_compiled
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import Prepared, prepare, simulate
from alphamoe.backtest.result import BacktestResult
from alphamoe.data.actions.model import ActionKind
from alphamoe.data.actions.store import ActionBook
from alphamoe.data.ganlei import write_ganlei
from alphamoe.market.bars import BarStore
from alphamoe.strategy.trend_breakout import TrendBreakout
from alphamoe.types import Side

FILES = ("sh600000", "sh600519", "sh600690", "sh600809", "sh600436", "sz002668", "sz300269", "sz002711",
         "sz300001", "sz000425", "sh601328")  # fmt: skip
LATER = timedelta(days=5)

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def runs(real_daily_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Prepared, Prepared]:
    """The run as stored (paid on the ex date) and with every cash dividend paid LATER."""
    folder = tmp_path_factory.mktemp("pay-bt-csv")
    for name in FILES:
        shutil.copy(real_daily_dir / f"{name}.csv", folder / f"{name}.csv")
    out = tmp_path_factory.mktemp("pay-bt-store")
    write_ganlei(folder, out)
    now = prepare(BarStore(out), date(2014, 1, 1), date(2021, 12, 31), TrendBreakout(), BacktestConfig(warmup=120))
    assert now.actions is not None
    moved = [
        a.model_copy(update={"pay_date": a.ex_date + LATER}) if a.kind is ActionKind.CASH_DIVIDEND else a
        for a in now.actions
    ]
    return now, Prepared(**{**vars(now), "actions": ActionBook(moved)})


def _other_cash(result: BacktestResult) -> dict[date, float]:
    """Return each session's cash change not made by its fills: the dividends paid (in CNY, nonzero only)."""
    fills: dict[date, float] = {}
    for t in result.trades:
        amount = float(t.quantity * t.price)
        fills[t.day] = fills.get(t.day, 0.0) + (
            amount - float(t.fees) - float(t.tax) if t.side is Side.SELL else -amount - float(t.fees)
        )
    out = {}
    for before, point in zip(result.equity, result.equity[1:], strict=False):
        other = point.cash - before.cash - fills.get(point.day, 0.0)
        if abs(other) > 0.005:
            out[point.day] = round(other, 2)
    return out


def _paid_on(sessions: list[date], day: date) -> date:
    return next(s for s in sessions if s >= day)


def test_backtest_when_dividends_paid_after_the_ex_date_then_cash_moves_on_the_pay_date(
    runs: tuple[Prepared, Prepared],
) -> None:
    now, later = (simulate(p) for p in runs)
    assert later.trades == now.trades  # the equity sizing reads counts the dividend owed: same orders
    paid_now = _other_cash(now)
    assert paid_now, "no dividend was held through an ex date: the test would prove nothing"
    sessions = [p.day for p in now.equity]
    expected = {_paid_on(sessions, day + LATER): amount for day, amount in paid_now.items()}
    assert _other_cash(later) == expected
    owed = {p.day for p in later.equity if any(d <= p.day < _paid_on(sessions, d + LATER) for d in paid_now)}
    for a, b in zip(now.equity, later.equity, strict=True):
        assert b.equity == pytest.approx(a.equity, abs=0.005)  # the receivable is equity
        if a.day in owed:
            assert b.cash < a.cash
        else:
            assert b.cash == pytest.approx(a.cash, abs=0.005)


def test_engines_when_dividends_paid_after_the_ex_date_then_compiled_and_backtrader_equal_the_reference(
    runs: tuple[Prepared, Prepared],
) -> None:
    later = runs[1]
    ours, compiled, theirs = simulate(later), simulate_compiled(later), run_backtrader(later)
    assert compiled.trades == ours.trades
    assert compiled.equity == ours.equity
    fills = [
        sorted((t.day, t.symbol, t.side.value, t.quantity, t.price, t.fees) for t in r.trades) for r in (ours, theirs)
    ]
    assert fills[0] == fills[1]
    np.testing.assert_allclose([p.equity for p in theirs.equity], [p.equity for p in ours.equity], rtol=1e-9)
    np.testing.assert_allclose([p.cash for p in theirs.equity], [p.cash for p in ours.equity], rtol=1e-9)


def test_engines_when_sales_collect_the_dividend_tax_then_each_engine_deducts_the_same(
    runs: tuple[Prepared, Prepared],
) -> None:
    # since 2013 the tax is collected at the sale by the sold lots' holding period (market/dividend_tax.py)
    now = runs[0]
    ours, compiled, theirs = simulate(now), simulate_compiled(now), run_backtrader(now)
    taxed = sorted((t.day, t.symbol, t.quantity, t.tax) for t in ours.trades if t.tax)
    assert taxed, "no sale collected a dividend tax: the test would prove nothing"
    for other in (compiled, theirs):
        assert sorted((t.day, t.symbol, t.quantity, t.tax) for t in other.trades if t.tax) == taxed
    assert compiled.equity == ours.equity
    np.testing.assert_allclose([p.cash for p in theirs.equity], [p.cash for p in ours.equity], rtol=1e-9)
