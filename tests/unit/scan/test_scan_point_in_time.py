from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from support.panels import head
from support.scan_market import SCAN_ROW, ScanInputs, permute_columns

from alphamoe.scan.scanner import ScanResult
from alphamoe.strategy.trend_breakout import TrendBreakout


@pytest.mark.parametrize("stop", [120, 230, SCAN_ROW])
def test_strategy_signals_when_later_bars_exist_then_rows_before_them_are_unchanged(
    scan_inputs: ScanInputs, stop: int
) -> None:
    strategy = TrendBreakout()
    full = strategy.signals(scan_inputs.market)
    cut = strategy.signals(head(scan_inputs.market, stop))

    np.testing.assert_array_equal(cut.entries, full.entries[:stop])
    np.testing.assert_array_equal(cut.exits, full.exits[:stop])
    np.testing.assert_array_equal(cut.score, full.score[:stop])
    for key, values in cut.features.items():
        np.testing.assert_array_equal(values, full.features[key][:stop], err_msg=key)


def test_scan_day_when_bars_from_d_on_change_then_no_signal_changes(
    scan_inputs: ScanInputs, baseline: ScanResult
) -> None:
    rng = np.random.default_rng(1)
    market = scan_inputs.market
    shock, flow = np.ones_like(market.close), np.ones_like(market.close)
    shock[SCAN_ROW:] = rng.uniform(0.8, 1.25, size=shock[SCAN_ROW:].shape)
    flow[SCAN_ROW:] = rng.uniform(0.2, 5.0, size=flow[SCAN_ROW:].shape)
    changed = dataclasses.replace(
        market,
        open=market.open * shock,
        high=market.high * shock,
        low=market.low * shock,
        close=market.close * shock,
        volume=market.volume * flow,
        amount=market.amount * flow,
    )

    result = scan_inputs.scan(panel=head(changed, SCAN_ROW))

    assert result == baseline


@pytest.mark.parametrize("extra_rows", [1, 5])
def test_scan_day_when_panel_reaches_the_scan_day_then_value_error(scan_inputs: ScanInputs, extra_rows: int) -> None:
    panel = head(scan_inputs.market, SCAN_ROW + extra_rows)

    with pytest.raises(ValueError, match="not before scan day"):
        scan_inputs.scan(panel=panel)


def test_scan_day_when_run_twice_then_identical(scan_inputs: ScanInputs, baseline: ScanResult) -> None:
    assert scan_inputs.scan() == baseline


def test_scan_day_when_panel_columns_and_reference_are_shuffled_then_identical(
    scan_inputs: ScanInputs, baseline: ScanResult
) -> None:
    order = list(np.random.default_rng(2).permutation(len(scan_inputs.panel.symbols)))
    reference = dict(reversed(list(scan_inputs.reference.items())))

    result = scan_inputs.scan(panel=permute_columns(scan_inputs.panel, order), reference=reference)

    assert result == baseline
    assert [s.model_dump() for s in result.signals] == [s.model_dump() for s in baseline.signals]
