"""Kelly's refresh windows in one pass (issue 15, speed): TrendBreakout's fused `window_trades` gives every
window exactly the trades of the strategy run on that window alone (`stats.window_trades`, the definition
the live scan calls), so p and b are bit for bit the same, on synthetic and real stocks (ex-rights days,
suspensions, windows cut short at the panel's start)."""

from __future__ import annotations

import numpy as np
import pytest
from support.strategy_panels import action_panel, random_panel, real_panel

from alphamoe.market.bars import Panel
from alphamoe.strategy.base import Strategy
from alphamoe.strategy.stats import kelly_at, kelly_stats, refresh_rows, window_trades
from alphamoe.strategy.trend_breakout import TrendBreakout, TrendBreakoutParams

FIELDS = ("column", "entry_row", "exit_row", "ret")


@pytest.fixture(scope="module")
def synthetic() -> Panel:
    return random_panel(rows=420, cols=60, seed=11)


@pytest.fixture(scope="module")
def real(real_daily: object, tmp_path_factory: pytest.TempPathFactory) -> Panel:
    return real_panel(real_daily, tmp_path_factory.mktemp("real-store"))


@pytest.fixture(params=["synthetic", "real"])
def panel(request: pytest.FixtureRequest) -> Panel:
    out: Panel = request.getfixturevalue(request.param)
    return out


@pytest.mark.parametrize(
    "params",
    [
        TrendBreakoutParams(),
        TrendBreakoutParams(breakout_window=10, fast_ma=3, slow_ma=30, exit_ma=25, min_amount=0, max_holding_days=4),
    ],
    ids=["defaults", "short-windows"],
)
def test_window_trades_when_fused_then_each_window_equals_the_strategy_run_alone(
    panel: Panel, params: TrendBreakoutParams
) -> None:
    strategy, lookback = TrendBreakout(params), 120
    rows = sorted({int(r) for r in refresh_rows(panel.dates, 10)} | {3, lookback - 1, len(panel.dates) - 1})
    fused = strategy.window_trades(panel, rows, lookback=lookback, fee_rate=0.0005)
    one_by_one = Strategy.window_trades(strategy, panel, rows, lookback=lookback, fee_rate=0.0005)
    assert sum(len(t.ret) for t in fused) > 50  # trades in many windows: not vacuous
    for row, got, alone in zip(rows, fused, one_by_one, strict=True):
        defined = window_trades(panel, strategy, row, lookback=lookback)
        for name in FIELDS:
            assert np.array_equal(getattr(got, name), getattr(defined, name)), (row, name)
            assert np.array_equal(getattr(alone, name), getattr(defined, name)), (row, name)


def test_window_trades_when_fused_then_p_b_equal_kelly_at(panel: Panel) -> None:
    strategy, lookback = TrendBreakout(), 250
    rows = [r for r in sorted({int(r) for r in refresh_rows(panel.dates, 21)}) if r >= lookback][:6]
    for row, trades in zip(rows, strategy.window_trades(panel, rows, lookback=lookback, fee_rate=0.0005), strict=True):
        fused, live = kelly_stats(trades, panel.symbols), kelly_at(panel, strategy, row, lookback=lookback)
        assert np.array_equal(fused.p_win, live.p_win) and np.array_equal(fused.payoff, live.payoff)
        assert np.array_equal(fused.n_trades, live.n_trades)


def test_window_trades_when_no_rows_then_none() -> None:
    assert TrendBreakout().window_trades(random_panel(), [], lookback=60, fee_rate=0.0005) == []


def test_window_trades_when_universe_or_params_change_then_one_compiled_signature() -> None:
    from alphamoe.backtest.universe import restrict
    from alphamoe.strategy.kernels import trend_breakout_window_trades_kernel

    panel = random_panel(rows=200, cols=30)
    fewer = restrict(panel, panel.symbols[::3])
    for strategy, on in ((TrendBreakout(), panel), (TrendBreakout(TrendBreakoutParams(breakout_window=7)), fewer)):
        strategy.window_trades(on, [80, 150, 199], lookback=60, fee_rate=0.001)
    assert len(trend_breakout_window_trades_kernel.signatures) == 1  # numba compiles per argument types only


@pytest.mark.parametrize("missing_open", [0.01, 0.1])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    ("params", "lookback", "refresh"),
    [
        (TrendBreakoutParams(min_amount=0), 250, 21),
        (TrendBreakoutParams(min_amount=0, max_holding_days=60), 120, 10),
        (
            TrendBreakoutParams(breakout_window=5, fast_ma=2, slow_ma=8, exit_ma=3, min_amount=0, max_holding_days=1),
            30,
            5,
        ),
        (TrendBreakoutParams(breakout_window=2, fast_ma=1, slow_ma=2, exit_ma=1, liquidity_window=1), 30, 5),
        (TrendBreakoutParams(breakout_window=3, slow_ma=25, exit_ma=20, min_amount=0, max_holding_days=40), 45, 3),
    ],
    ids=["defaults", "long-holds", "short-windows-one-day-holds", "shortest-rules", "holds-across-actions"],
)
def test_window_trades_when_ex_rights_suspensions_and_missing_opens_then_each_window_equals_it_run_alone(
    seed: int, missing_open: float, params: TrendBreakoutParams, lookback: int, refresh: int
) -> None:
    # windows that start mid-position, meet ex-rights days before and after their rules can fire, hold a
    # position across one, and lose fills to missing opens (a signal left pending, a flat signal path still
    # holding): the fused pass meets each window's path only where their whole states agree
    panel = action_panel(seed=seed, missing_open=missing_open)
    strategy = TrendBreakout(params)
    rows = sorted({int(r) for r in refresh_rows(panel.dates, refresh)} | {0, 1, lookback, len(panel.dates) - 1})
    fused = strategy.window_trades(panel, rows, lookback=lookback, fee_rate=0.0005)
    one_by_one = Strategy.window_trades(strategy, panel, rows, lookback=lookback, fee_rate=0.0005)
    assert sum(len(t.ret) for t in fused) > 30  # not vacuous
    for row, got, alone in zip(rows, fused, one_by_one, strict=True):
        for name in FIELDS:
            assert np.array_equal(getattr(got, name), getattr(alone, name)), (row, name)
