"""Kelly p/b have one definition (issue 15): refreshed on calendar-anchored sessions, each from the strategy
run on the window ending there, so a backtest starting on any day and the live scan agree on every day."""

from __future__ import annotations

import numpy as np
import pandas as pd
from support.scan_market import SCAN_ROW, make_market, reference_at

from alphamoe.backtest.kelly import kelly_schedule
from alphamoe.scan.scanner import scan_day
from alphamoe.strategy.stats import kelly_at, kelly_panel_sessions, refresh_rows, window_panel
from alphamoe.strategy.trend_breakout import TrendBreakout

LOOKBACK, REFRESH = 60, 10


def test_refresh_rows_when_panels_start_on_different_days_then_same_refresh_sessions() -> None:
    dates = make_market().dates
    full = dates[refresh_rows(dates, REFRESH)]
    for first in (1, 7, 33):
        later = dates[first:]
        assert (later[refresh_rows(later, REFRESH)][REFRESH:] == full[first + REFRESH :]).all()


def test_kelly_schedule_when_backtests_start_on_different_days_then_same_p_b_each_day() -> None:
    panel, strategy = make_market(), TrendBreakout()
    early = kelly_schedule(
        panel, strategy, first_decision_row=120, lookback=LOOKBACK, refresh=REFRESH, prior_strength=20
    )
    late = kelly_schedule(
        panel, strategy, first_decision_row=127, lookback=LOOKBACK, refresh=REFRESH, prior_strength=20
    )
    assert len({float(early.at(t).p_win.sum()) for t in range(127, 200)}) > 2  # refreshes that differ: not vacuous
    for t in range(127, panel.close.shape[0]):
        assert np.array_equal(early.at(t).p_win, late.at(t).p_win)
        assert np.array_equal(early.at(t).payoff, late.at(t).payoff)


def test_scan_day_when_live_panel_then_p_b_equal_the_backtest_schedule_on_that_day() -> None:
    panel, strategy = make_market(), TrendBreakout()
    schedule = kelly_schedule(
        panel, strategy, first_decision_row=SCAN_ROW - 1, lookback=LOOKBACK, refresh=REFRESH, prior_strength=20
    )
    sessions = [pd.Timestamp(d).date() for d in panel.dates[:SCAN_ROW]]  # the store's, up to D−1
    rows = kelly_panel_sessions(sessions, sessions[-1], LOOKBACK, REFRESH)
    assert LOOKBACK < rows < LOOKBACK + REFRESH  # D−1 is not its block's first session: the window ends before
    live = window_panel(panel, SCAN_ROW - rows, SCAN_ROW)  # as the scan stage loads it
    day = pd.Timestamp(panel.dates[SCAN_ROW]).date()
    result = scan_day(
        live, day, reference_at(panel, SCAN_ROW), strategy, stats_lookback=LOOKBACK, stats_refresh=REFRESH
    )
    stats = schedule.at(SCAN_ROW - 1)
    assert result.signals
    for signal in result.signals:
        i = panel.column(signal.symbol)
        assert (signal.p_win, signal.payoff) == (float(stats.p_win[i]), float(stats.payoff[i]))


def test_kelly_at_when_window_starts_the_panel_then_its_signals_give_the_windows_own_stats() -> None:
    panel, strategy = make_market(), TrendBreakout()
    longer = window_panel(panel, 100, 200)  # the window is its first 60 rows
    reused = kelly_at(longer, strategy, LOOKBACK - 1, lookback=LOOKBACK, signals=strategy.latest(longer))
    alone = kelly_at(window_panel(panel, 100, 100 + LOOKBACK), strategy, LOOKBACK - 1, lookback=LOOKBACK)
    assert int(reused.n_trades.sum()) > 3
    assert np.array_equal(reused.p_win, alone.p_win) and np.array_equal(reused.payoff, alone.payoff)
    assert np.array_equal(reused.n_trades, alone.n_trades)
