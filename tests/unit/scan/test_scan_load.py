"""The scan's compact read equals the bar store's panel and pre-open reference; bad days say why."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from alphamoe.errors import DataError, NoTradingDayError
from alphamoe.market.bars import BarStore
from alphamoe.market.limits import limit_prices
from alphamoe.market.reference import pre_open_reference
from alphamoe.market.ticks import to_price
from alphamoe.scan.load import load_scan_inputs


@pytest.mark.parametrize("lookback", [60, 250, 1000], ids=["short", "year-boundary", "longer-than-history"])
def test_load_scan_inputs_when_read_then_equals_bar_store_panel_and_reference(market_dir: Path, lookback: int) -> None:
    store = BarStore(market_dir)
    sessions = store.sessions()
    day = sessions[-1]

    inputs = load_scan_inputs(market_dir, day, lookback)

    expected = store.panel(until=sessions[-2], lookback=lookback)
    for field in dataclasses.fields(expected):
        ours, theirs = getattr(inputs.panel, field.name), getattr(expected, field.name)
        if isinstance(theirs, np.ndarray):
            np.testing.assert_array_equal(ours, theirs, err_msg=field.name)
            assert ours.dtype == theirs.dtype, field.name
        else:
            assert ours == theirs, field.name
    assert inputs.panel.close.flags.f_contiguous  # the kernels' layout, no copy needed
    assert inputs.reference == pre_open_reference(store, day)
    assert inputs.panel.last_day < day


def test_load_scan_inputs_when_day_has_no_bars_then_names_the_next_session(market_dir: Path) -> None:
    sessions = BarStore(market_dir).sessions()
    saturday = next(
        sessions[10] + timedelta(days=k) for k in range(1, 8) if (sessions[10] + timedelta(days=k)).weekday() == 5
    )

    with pytest.raises(NoTradingDayError, match=rf"no bars on {saturday}.*the next session with bars is"):
        load_scan_inputs(market_dir, saturday, 250)


def test_load_scan_inputs_when_first_session_then_no_history_error(market_dir: Path) -> None:
    first = BarStore(market_dir).sessions()[0]

    with pytest.raises(DataError, match="no history before"):
        load_scan_inputs(market_dir, first, 250)


def test_load_scan_inputs_when_folder_is_not_a_store_then_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="alphamoe data generate"):
        load_scan_inputs(tmp_path, date(2025, 1, 6), 250)


def test_load_scan_inputs_when_read_then_reference_equals_limit_prices_of_each_days_bar(market_dir: Path) -> None:
    store = BarStore(market_dir)
    day = store.sessions()[-1]

    reference = load_scan_inputs(store, day, 5).reference

    bars = store.day(day)
    assert reference.keys() == bars.keys()
    for symbol, bar in bars.items():
        prev_close = to_price(bar.prev_close)
        band = limit_prices(symbol, prev_close, day, st=bar.st, listing_day_index=bar.listing_index)
        got = reference[symbol]
        assert (got.prev_close, got.st, got.listing_index, got.band) == (prev_close, bar.st, bar.listing_index, band)
        assert (str(got.band.down), str(got.band.up)) == (str(band.down), str(band.up))
