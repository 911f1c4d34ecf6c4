from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from support.scan_market import BREAKOUTS_AT_SCAN, LATE_LISTING, ST_STOCK, SUSPENDED, ScanInputs, with_bar

from alphamoe.market.reference import ReferenceData
from alphamoe.scan.scanner import EXCLUSION_REASONS, ScanResult

TARGET = BREAKOUTS_AT_SCAN[0]  # a signal of the baseline scan


def _with_reference(inputs: ScanInputs, symbol: str, **changes: object) -> dict[str, ReferenceData]:
    out = dict(inputs.reference)
    out[symbol] = dataclasses.replace(inputs.reference[symbol], **changes)  # type: ignore[arg-type]
    return out


def _symbols(result: ScanResult) -> set[str]:
    return {s.symbol for s in result.signals}


def _assert_excluded_once_more(result: ScanResult, baseline: ScanResult, reason: str) -> None:
    assert TARGET not in _symbols(result)
    assert _symbols(result) == _symbols(baseline) - {TARGET}
    expected = dict(baseline.completed.excluded)
    expected[reason] += 1
    assert result.completed.excluded == expected


def test_scan_day_when_baseline_market_then_every_reason_is_counted(baseline: ScanResult) -> None:
    # the fixture's own exceptions: one stock suspended over D−1 and D, one ST, one listed 40 sessions ago
    assert tuple(baseline.completed.excluded) == EXCLUSION_REASONS
    assert baseline.completed.excluded == {
        "suspended": 1,
        "st": 1,
        "new_listing": 1,
        "no_history": 0,
        "limit_up_locked": 0,
    }
    assert not {SUSPENDED, ST_STOCK, LATE_LISTING} & _symbols(baseline)


def test_scan_day_when_stock_has_no_reference_on_d_then_excluded_as_suspended(
    scan_inputs: ScanInputs, baseline: ScanResult
) -> None:
    reference = {s: r for s, r in scan_inputs.reference.items() if s != TARGET}

    _assert_excluded_once_more(scan_inputs.scan(reference=reference), baseline, "suspended")


def test_scan_day_when_stock_is_st_on_d_then_excluded_as_st(scan_inputs: ScanInputs, baseline: ScanResult) -> None:
    reference = _with_reference(scan_inputs, TARGET, st=True)

    _assert_excluded_once_more(scan_inputs.scan(reference=reference), baseline, "st")


@pytest.mark.parametrize(("listing_index", "excluded"), [(59, True), (60, False)])
def test_scan_day_when_listing_index_against_min_listing_days_then_new_listing_below_it(
    scan_inputs: ScanInputs, baseline: ScanResult, listing_index: int, excluded: bool
) -> None:
    result = scan_inputs.scan(reference=_with_reference(scan_inputs, TARGET, listing_index=listing_index))

    if excluded:
        _assert_excluded_once_more(result, baseline, "new_listing")
    else:
        assert result == baseline


def test_scan_day_when_stock_trades_on_d_but_has_no_panel_bars_then_no_history(
    scan_inputs: ScanInputs, baseline: ScanResult
) -> None:
    reference = dict(scan_inputs.reference)
    reference["600999.SH"] = dataclasses.replace(scan_inputs.reference[TARGET], symbol="600999.SH")

    result = scan_inputs.scan(reference=reference)

    assert result.completed.excluded["no_history"] == 1
    assert result.completed.universe_size == baseline.completed.universe_size + 1
    assert result.signals == baseline.signals


def test_scan_day_when_stock_suspended_on_d_minus_1_then_no_history(
    scan_inputs: ScanInputs, baseline: ScanResult
) -> None:
    nan = float("nan")
    panel = with_bar(
        scan_inputs.panel, -1, TARGET, open=nan, high=nan, low=nan, close=nan, prev_close=nan, volume=nan, amount=nan
    )
    panel = with_bar(panel, -1, TARGET, listing_index=-1)

    _assert_excluded_once_more(scan_inputs.scan(panel=panel), baseline, "no_history")


def _limit_up_of_d_minus_1(inputs: ScanInputs) -> float:
    i = inputs.panel.column(TARGET)
    prev = float(inputs.panel.prev_close[-1, i])
    return float(np.floor(prev * 1.1 * 100 + 0.5) / 100)  # main board, not ST: ±10%


def test_scan_day_when_sealed_one_price_limit_up_on_d_minus_1_then_limit_up_locked(
    scan_inputs: ScanInputs, baseline: ScanResult
) -> None:
    up = _limit_up_of_d_minus_1(scan_inputs)
    panel = with_bar(scan_inputs.panel, -1, TARGET, open=up, high=up, low=up, close=up)

    _assert_excluded_once_more(scan_inputs.scan(panel=panel), baseline, "limit_up_locked")


def test_scan_day_when_limit_up_close_traded_below_the_limit_intraday_then_still_a_signal(
    scan_inputs: ScanInputs,
) -> None:
    up = _limit_up_of_d_minus_1(scan_inputs)
    panel = with_bar(scan_inputs.panel, -1, TARGET, high=up, close=up)  # opened lower: the board was not sealed

    result = scan_inputs.scan(panel=panel)

    assert TARGET in _symbols(result)
    assert result.completed.excluded["limit_up_locked"] == 0
    signal = next(s for s in result.signals if s.symbol == TARGET)
    assert signal.features["limit_up_count_5d"] == 1.0
