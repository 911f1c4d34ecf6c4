"""The wide panel read (issue 15, a cold 10-year backtest): one pass per year file through `scatter_bars`, the
same panel as a pivot of the bars whatever the gaps; numpy's huge-page advice off on import (page faults)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pytest

from alphamoe.market.bars import BarStore
from alphamoe.market.scatter import scatter_bars

FIELDS = ("open", "high", "low", "close", "prev_close", "volume", "amount", "st", "listing_index")
FILL = {"st": False, "listing_index": -1}


def _sessions(first: date, count: int) -> list[date]:
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _bars() -> tuple[pd.DataFrame, pd.DataFrame]:
    # four stocks over a year end: one always trading, one suspended for a week in each year, one listed
    # mid-span (in the second year), one delisted in the first year
    days = _sessions(date(2023, 12, 4), 40)
    rng = np.random.default_rng(3)
    rows = []
    for symbol, trades in (
        ("600000.SH", lambda k: True),
        ("000001.SZ", lambda k: not (5 <= k < 10 or 25 <= k < 30)),
        ("300750.SZ", lambda k: k >= 28),
        ("688001.SH", lambda k: k < 12),
    ):
        listed = 0
        for k, day in enumerate(days):
            if not trades(k):
                continue
            close = round(float(rng.uniform(5, 50)), 2)
            rows.append(
                {
                    "date": day,
                    "symbol": symbol,
                    "name": symbol,
                    "open": close,
                    "high": close + 0.1,
                    "low": close - 0.1,
                    "close": close,
                    "prev_close": round(close * 0.99, 2),
                    "volume": float(rng.integers(1, 10**6)),
                    "amount": close * 1000.0,
                    "st": bool(k % 7 == 0),
                    "listing_index": listed,
                }
            )
            listed += 1
    instruments = pd.DataFrame(
        {
            "symbol": ["600000.SH", "000001.SZ", "300750.SZ", "688001.SH"],
            "name": ["a", "b", "c", "d"],
            "board": ["main", "main", "chinext", "star"],
            "industry": [None] * 4,
            "list_date": [date(2000, 1, 4)] * 4,
            "delist_date": [None] * 4,
        }
    )
    return pd.DataFrame(rows), instruments


@pytest.mark.parametrize("order", ["C", "F"])
def test_panel_when_gaps_listings_and_delistings_across_year_files_then_equals_a_pivot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: Literal["C", "F"]
) -> None:
    import alphamoe.market.bars as bars_module

    monkeypatch.setattr(bars_module, "ROW_GROUP_ROWS", 12)  # groups of three sessions: windows cut them
    bars, instruments = _bars()
    store = BarStore.write(tmp_path, bars, instruments, meta={})
    assert store.years == [2023, 2024]
    sessions = store.sessions()
    stamped = bars.assign(date=pd.to_datetime(bars["date"]))
    for until, lookback in [(sessions[-1], 40), (sessions[-1], 23), (sessions[30], 9), (sessions[6], 4)]:
        panel = store.panel(until, lookback, order=order)
        window = [d for d in sessions if d <= until][-lookback:]
        rows = stamped[(stamped["date"] >= pd.Timestamp(window[0])) & (stamped["date"] <= pd.Timestamp(until))]
        assert panel.symbols == tuple(sorted(set(rows["symbol"])))
        wide = rows.pivot(index="date", columns="symbol").reindex(pd.to_datetime(window))
        for field in FIELDS:
            got = getattr(panel, field)
            frame = pd.DataFrame(wide[field])
            expected = frame.reindex(columns=list(panel.symbols)).fillna(FILL.get(field, np.nan))
            np.testing.assert_array_equal(got, expected.to_numpy(got.dtype), err_msg=f"{field} {until} {lookback}")
            assert got.flags.c_contiguous if order == "C" else got.flags.f_contiguous


def _scatter_inputs(
    order: Literal["C", "F"], shuffle: bool
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    days, stocks = 70, 9
    cells = [(r, c) for r in range(days) for c in range(stocks) if rng.random() < 0.8]
    bars = [(-1, 0), *cells, (cells[5][0], cells[5][1]), (-1, 3)]  # outside the window, a repeated cell
    if shuffle:
        middle = bars[1:-1]
        rng.shuffle(middle)
        bars = [bars[0], *middle, bars[-1]]
    rows = np.array([r for r, _ in bars], dtype=np.int32)
    cols = np.array([c for _, c in bars], dtype=np.int32)
    n = len(bars)
    values = [rng.random(n) for _ in range(7)] + [rng.random(n) < 0.5, rng.integers(0, 99, n).astype(np.int32)]
    for array in values:
        array.flags.writeable = False
    outputs = [np.full((days, stocks), np.nan, order=order) for _ in range(7)]
    outputs += [np.zeros((days, stocks), dtype=np.bool_, order=order), np.full((days, stocks), -1, np.int32, order)]
    return outputs, values, rows, cols


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_scatter_bars_when_any_order_then_each_cell_gets_its_last_bar(order: Literal["C", "F"], shuffle: bool) -> None:
    outputs, values, rows, cols = _scatter_inputs(order, shuffle)
    shape = outputs[0].shape
    strides = (shape[1], 1) if order == "C" else (1, shape[0])
    scatter_bars(rows, cols, *strides, *[out.reshape(-1, order=order) for out in outputs], *values)
    inside = rows >= 0
    for out, value in zip(outputs, values, strict=True):
        expected = {np.float64: np.full(shape, np.nan), np.bool_: np.zeros(shape, np.bool_)}.get(
            out.dtype.type, np.full(shape, -1, np.int32)
        )
        expected[rows[inside], cols[inside]] = value[inside]  # NumPy: the last of repeated indices wins
        np.testing.assert_array_equal(out, expected)


def _hugepage_advice(env: dict[str, str]) -> str:
    code = "import alphamoe, numpy._core.multiarray as m; print(m._get_madvise_hugepage())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_when_numpy_hugepage_unset_then_advice_off_and_an_explicit_setting_wins() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    assert _hugepage_advice(env) == "False"
    assert _hugepage_advice({**env, "NUMPY_MADVISE_HUGEPAGE": "1"}) == "True"
