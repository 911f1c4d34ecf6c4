from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pytest
from support.scan_market import BREAKOUTS_AT_SCAN, EXIT_AT_SCAN, ILLIQUID_BREAKOUT, ScanInputs

from alphamoe.market.bars import Panel
from alphamoe.market.ticks import to_price
from alphamoe.router.features import ROUTER_FEATURES
from alphamoe.scan.scanner import ScanResult, scan_day
from alphamoe.strategy.base import Strategy, StrategyParams, StrategySignals
from alphamoe.strategy.stats import DEFAULT_STATS_REFRESH, kelly_at, refresh_rows
from alphamoe.strategy.trend_breakout import FEATURE_KEYS, TrendBreakout
from alphamoe.types import Board

BOARDS = {
    "600000.SH": Board.MAIN,
    "600009.SH": Board.MAIN,
    "000003.SZ": Board.MAIN,
    "300001.SZ": Board.CHINEXT,
    "688001.SH": Board.STAR,
}


def test_scan_day_when_liquid_breakouts_planted_on_d_minus_1_then_they_are_the_signals(
    baseline: ScanResult, scan_inputs: ScanInputs
) -> None:
    symbols = [s.symbol for s in baseline.signals]

    assert sorted(symbols) == sorted(BREAKOUTS_AT_SCAN)
    assert ILLIQUID_BREAKOUT not in symbols
    assert [s.rank for s in baseline.signals] == list(range(len(symbols)))
    scores = [s.score for s in baseline.signals]
    assert scores == sorted(scores, reverse=True)
    completed = baseline.completed
    assert completed.candidates == len(baseline.signals)
    assert completed.universe_size == 40
    assert completed.data_until == scan_inputs.panel.last_day
    assert completed.trading_day == scan_inputs.day
    assert completed.strategy == "trend_breakout"


def test_scan_day_when_signal_built_then_prices_ids_board_and_stats_follow_the_inputs(
    baseline: ScanResult, scan_inputs: ScanInputs
) -> None:
    panel = scan_inputs.panel
    strategy = TrendBreakout()
    # p and b of the last refresh (the first session of D−1's weekday block), as every backtest has them on D
    stats = kelly_at(panel, strategy, int(refresh_rows(panel.dates, DEFAULT_STATS_REFRESH)[-1]))
    for signal in baseline.signals:
        i = panel.column(signal.symbol)
        assert signal.signal_id == f"{scan_inputs.day.isoformat()}:trend_breakout:{signal.symbol}"
        assert signal.trading_day == scan_inputs.day
        assert signal.reference_price == to_price(float(panel.close[-1, i]))
        assert signal.prev_close == scan_inputs.reference[signal.symbol].prev_close
        assert signal.board is BOARDS[signal.symbol]
        assert (signal.p_win, signal.payoff, signal.n_trades) == (
            float(stats.p_win[i]),
            float(stats.payoff[i]),
            int(stats.n_trades[i]),
        )
    assert sum(int(n) for n in stats.n_trades) > 50  # the planted history gives the prior real trades


def test_scan_day_when_signals_emitted_then_features_are_the_documented_keys_and_finite(baseline: ScanResult) -> None:
    for signal in baseline.signals:
        assert tuple(signal.features) == FEATURE_KEYS
        assert all(math.isfinite(v) for v in signal.features.values())
        assert signal.features["breakout_margin"] > 0
        assert signal.features["volume_ratio"] >= 1.2
        assert signal.features["amount_20d"] >= 20_000_000


def test_scan_day_when_exit_fires_on_d_minus_1_then_completed_lists_it(baseline: ScanResult) -> None:
    assert EXIT_AT_SCAN in baseline.completed.exits
    assert list(baseline.completed.exits) == sorted(baseline.completed.exits)


def test_scan_day_when_max_signals_is_two_then_the_two_best_scores(
    baseline: ScanResult, scan_inputs: ScanInputs
) -> None:
    top = scan_inputs.scan(max_signals=2)

    assert top.signals == baseline.signals[:2]
    assert top.completed.candidates == 2


class _NanFeature(Strategy):
    # a stand-in strategy: enters every stock on every row, with one NaN feature
    name: ClassVar[str] = "nan_feature"
    Params: ClassVar[type[StrategyParams]] = StrategyParams

    def signals(self, panel: Panel) -> StrategySignals:
        shape = panel.close.shape
        return StrategySignals(
            entries=np.ones(shape, bool),
            exits=np.zeros(shape, bool),
            score=np.tile(np.arange(shape[1], dtype=float), (shape[0], 1)),
            features={"good": np.ones(shape), "missing": np.full(shape, np.nan)},
        )


def test_scan_day_when_a_feature_is_nan_then_it_is_left_out(scan_inputs: ScanInputs) -> None:
    result = scan_day(scan_inputs.panel, scan_inputs.day, scan_inputs.reference, _NanFeature(), max_signals=3)

    # the strategy's own finite feature kept, its NaN one left out; the router's own features beside them
    own = [{k: v for k, v in s.features.items() if k not in ROUTER_FEATURES} for s in result.signals]
    assert own == [{"good": 1.0}] * 3
    assert all(set(ROUTER_FEATURES) <= set(s.features) for s in result.signals)
    assert all(math.isfinite(v) for s in result.signals for v in s.features.values())
    assert [s.strategy for s in result.signals] == ["nan_feature"] * 3
    assert result.signals[0].signal_id.endswith(":nan_feature:" + result.signals[0].symbol)


def test_scan_day_when_max_signals_negative_then_value_error(scan_inputs: ScanInputs) -> None:
    with pytest.raises(ValueError, match="max_signals must be >= 0, was -1"):
        scan_inputs.scan(max_signals=-1)
