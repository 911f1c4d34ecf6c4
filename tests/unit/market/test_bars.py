from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphamoe.data.store_write import DestructiveWriteError
from alphamoe.data.synthetic import generate_market
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore, has_bar_store

UNTIL = date(2024, 2, 7)


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_market(40, date(2024, 1, 2), date(2024, 3, 29), 21)


@pytest.fixture(scope="module")
def store(frames: tuple[pd.DataFrame, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> BarStore:
    return BarStore.write(tmp_path_factory.mktemp("bars"), *frames, meta={"generator": "test"})


def _bar(day: date, close: float, prev_close: float, *, name: str = "平安银行") -> dict[str, object]:
    return {
        "date": day,
        "symbol": "000001.SZ",
        "name": name,
        "open": close,
        "high": close,
        "low": close,
        "close": close,
        "prev_close": prev_close,
        "volume": 1000.0,
        "amount": close * 1000,
        "st": False,
        "listing_index": 100,
    }


def test_panel_when_until_then_no_date_after_it(store: BarStore) -> None:
    panel = store.panel(UNTIL, 250)
    assert panel.last_day == UNTIL
    assert panel.dates.max() <= np.datetime64(UNTIL)
    assert len(panel.dates) == len([d for d in store.sessions() if d <= UNTIL])
    weekend = store.panel(date(2024, 2, 4), 5)  # a Sunday: the panel ends on the Friday before
    assert weekend.last_day == date(2024, 2, 2)
    assert store.day(UNTIL).keys() == {s for s, bar in store.day(UNTIL).items() if bar.day == UNTIL}


def test_panel_when_bars_after_until_change_then_reads_until_it_are_identical(
    frames: tuple[pd.DataFrame, pd.DataFrame], store: BarStore, tmp_path: Path
) -> None:
    bars, instruments = frames
    changed = bars.copy()
    later = changed["date"] > UNTIL
    for column in ("open", "high", "low", "close", "prev_close"):
        changed.loc[later, column] = changed.loc[later, column] * 3
    changed.loc[later, "st"] = True
    other = BarStore.write(tmp_path / "changed", changed, instruments, meta={})
    before, after = store.panel(UNTIL, 30), other.panel(UNTIL, 30)
    assert before.symbols == after.symbols
    for field in ("open", "high", "low", "close", "prev_close", "volume", "amount", "st", "listing_index"):
        np.testing.assert_array_equal(getattr(before, field), getattr(after, field))
    np.testing.assert_array_equal(before.adjustment_factor(), after.adjustment_factor())
    assert not np.array_equal(store.panel(date(2024, 3, 29), 5).close, other.panel(date(2024, 3, 29), 5).close)


def test_adjustment_factor_when_ex_rights_day_then_adjusted_returns_stay_continuous(tmp_path: Path) -> None:
    days = [date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 5), date(2024, 6, 7), date(2024, 6, 11)]
    rows = [
        _bar(days[0], 10.00, 9.90),
        _bar(days[1], 10.50, 10.00),
        _bar(days[2], 5.50, 5.15, name="DR平安银"),  # 10-for-10 bonus and 0.20 cash: (10.50 − 0.20) / 2
        # 2024-06-06 suspended: no bar
        _bar(days[3], 5.60, 5.50),
        _bar(days[4], 5.00, 5.00, name="XD平安银"),  # cash dividend 0.60
    ]
    instruments = pd.DataFrame(
        {
            "symbol": ["000001.SZ"],
            "name": ["平安银行"],
            "board": ["main"],
            "list_date": [date(1991, 4, 3)],
            "delist_date": [None],
        }
    )
    store = BarStore.write(tmp_path, pd.DataFrame(rows), instruments, meta={})
    panel = store.panel(days[-1], 10)
    adjusted = panel.adjusted(panel.close)[:, 0]
    traded = ~np.isnan(adjusted)
    adjusted_returns = adjusted[traded][1:] / adjusted[traded][:-1] - 1
    raw_returns = panel.close[traded, 0][1:] / panel.prev_close[traded, 0][1:] - 1
    np.testing.assert_allclose(adjusted_returns, raw_returns, rtol=1e-12, atol=1e-12)
    assert adjusted_returns[1] == pytest.approx(5.50 / 5.15 - 1)  # +6.8%, not the raw −47.6%
    assert panel.adjustment_factor()[0, 0] == 1.0


def test_bar_store_when_folder_has_no_bars_then_data_error_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="alphamoe data generate"):
        BarStore(tmp_path)
    with pytest.raises(DataError, match="lacks columns"):
        BarStore.write(tmp_path, pd.DataFrame({"date": []}), pd.DataFrame(), meta={})


def test_write_when_instruments_lack_industry_then_written_as_null(tmp_path: Path) -> None:
    instruments = pd.DataFrame(
        {
            "symbol": ["000001.SZ"],
            "name": ["平安银行"],
            "board": ["main"],
            "list_date": [date(1991, 4, 3)],
            "delist_date": [None],
        }
    )
    store = BarStore.write(tmp_path, pd.DataFrame([_bar(date(2024, 6, 3), 10.0, 9.9)]), instruments, meta={})
    assert store.instruments()["industry"].isna().all()


def test_write_when_many_sessions_then_row_groups_of_whole_sessions_with_date_statistics(
    frames: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    import alphamoe.market.bars as bars_module

    monkeypatch.setattr(bars_module, "ROW_GROUP_ROWS", 200)  # 40 stocks: five sessions per group
    store = BarStore.write(tmp_path, *frames, meta={})
    meta = pq.ParquetFile(tmp_path / "bars" / "2024.parquet").metadata
    assert meta.num_row_groups > 5
    spans = [
        (g.column(0).statistics.min, g.column(0).statistics.max)
        for g in map(meta.row_group, range(meta.num_row_groups))
    ]
    assert all(a <= b for a, b in spans) and all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))
    day = store.sessions()[17]
    assert store.day(day) == BarStore(tmp_path).day(day)
    assert {bar.day for bar in store.day(day).values()} == {day}
    week = store.frame(store.sessions()[3], store.sessions()[12])  # crosses row-group edges
    assert sorted(set(week["date"])) == store.sessions()[3:13]
    assert week.equals(week.sort_values(["date", "symbol"], kind="stable"))


def test_sessions_when_store_predates_sessions_file_then_read_from_the_bars(
    store: BarStore, tmp_path: Path, frames: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    old = BarStore.write(tmp_path, *frames, meta={})
    (tmp_path / "sessions.parquet").unlink()
    assert BarStore(tmp_path).sessions() == old.sessions() == store.sessions()


def test_write_when_rewritten_with_fewer_years_then_refused_unless_replace(tmp_path: Path) -> None:
    instruments = pd.DataFrame(
        {
            "symbol": ["000001.SZ"],
            "name": ["平安银行"],
            "board": ["main"],
            "list_date": [date(1991, 4, 3)],
            "delist_date": [None],
        }
    )
    rows = [_bar(date(2023, 12, 29), 10.0, 9.9), _bar(date(2024, 1, 2), 10.1, 10.0)]
    assert BarStore.write(tmp_path, pd.DataFrame(rows), instruments, meta={}).years == [2023, 2024]
    with pytest.raises(DestructiveWriteError, match=r"remove 1 year\(s\) 2023"):
        BarStore.write(tmp_path, pd.DataFrame(rows[1:]), instruments, meta={})
    assert (tmp_path / "bars" / "2023.parquet").exists()
    again = BarStore.write(tmp_path, pd.DataFrame(rows[1:]), instruments, meta={}, replace=True)
    assert again.years == [2024] and not (tmp_path / "bars" / "2023.parquet").exists()
    assert has_bar_store(tmp_path) and not has_bar_store(tmp_path / "nothing")


def test_bar_store_when_given_an_object_store_then_same_reads(store: BarStore) -> None:
    from alphamoe.storage import open_store

    again = BarStore(open_store(store.root))
    assert again.root == store.root
    np.testing.assert_array_equal(again.panel(UNTIL, 20).close, store.panel(UNTIL, 20).close)


@pytest.mark.parametrize("order", ["C", "F"])
def test_panel_when_row_groups_straddle_the_window_then_equals_a_pandas_pivot_of_the_bars(
    frames: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    import alphamoe.market.bars as bars_module

    monkeypatch.setattr(bars_module, "ROW_GROUP_ROWS", 300)  # groups of seven sessions: windows cut them
    store = BarStore.write(tmp_path, *frames, meta={})
    bars = frames[0].assign(date=pd.to_datetime(frames[0]["date"]))
    sessions = store.sessions()
    for until, lookback in [(sessions[20], 9), (sessions[33], 1), (sessions[-1], 250), (date(2024, 2, 4), 12)]:
        panel = store.panel(until, lookback, order=order)  # type: ignore[arg-type]
        window = [d for d in sessions if d <= until][-lookback:]
        rows = bars[(bars["date"] >= pd.Timestamp(window[0])) & (bars["date"] <= pd.Timestamp(until))]
        assert list(panel.dates) == [np.datetime64(d, "D") for d in window]
        assert panel.symbols == tuple(sorted(set(rows["symbol"])))
        wide = rows.pivot(index="date", columns="symbol").reindex(pd.to_datetime(window))
        for field, fill in [("close", np.nan), ("amount", np.nan), ("st", False), ("listing_index", -1)]:
            got = getattr(panel, field)
            expected = wide[field].reindex(columns=list(panel.symbols)).fillna(fill).to_numpy(got.dtype)
            np.testing.assert_array_equal(got, expected, err_msg=field)
            assert got.flags.c_contiguous if order == "C" else got.flags.f_contiguous
    week = store.frame(sessions[3], sessions[12], columns=["symbol", "close"])
    assert list(week.columns) == ["symbol", "close"] and week["symbol"].map(type).eq(str).all()
