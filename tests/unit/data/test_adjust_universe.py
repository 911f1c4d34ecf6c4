from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphamoe.data.adjust import adjust_factor, adjusted_close
from alphamoe.data.importer import Imported
from alphamoe.data.names import NAME_FLAGS, name_flags
from alphamoe.data.universe import (
    benchmark_series,
    index_code,
    index_sessions,
    listed_on,
    members_on,
    write_indices,
    write_members,
)
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore

REAL_INDEX = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ashare" / "index"


def test_adjust_factor_when_ex_dividend_then_rises_by_last_close_over_reference() -> None:
    bars = pd.DataFrame(
        {
            "symbol": ["600000.SH"] * 3 + ["000001.SZ"] * 2,
            "date": [date(2021, 6, 30), date(2021, 7, 1), date(2021, 7, 2), date(2021, 6, 30), date(2021, 7, 1)],
            "close": [9.85, 9.45, 9.33, 20.0, 21.0],
            "prev_close": [9.80, 9.40, 9.45, 19.0, 20.0],
        }
    )
    factor = adjust_factor(bars)
    np.testing.assert_allclose(factor.to_numpy(), [1.0, 9.85 / 9.40, 9.85 / 9.40, 1.0, 1.0])
    adjusted = adjusted_close(bars)
    assert adjusted.iloc[1] / adjusted.iloc[0] - 1 == pytest.approx(9.45 / 9.40 - 1)  # the true return, not −4%


@pytest.mark.realdata
def test_adjust_factor_when_real_data_then_adjusted_returns_equal_exchange_returns(real_daily: Imported) -> None:
    bars = real_daily.bars.sort_values(["symbol", "date"]).reset_index(drop=True)
    adjusted = adjusted_close(bars)
    same = bars["symbol"].eq(bars["symbol"].shift(1))
    ours = (adjusted / adjusted.shift(1) - 1)[same]
    exchange = (bars["close"] / bars["prev_close"] - 1)[same]
    np.testing.assert_allclose(ours.to_numpy(), exchange.to_numpy(), atol=1e-9)
    ex_days = bars["name"].str.match(r"^(XD|XR|DR)")
    assert (adjust_factor(bars)[ex_days & same] > 1).mean() > 0.9  # raw prices stay raw; the factor moves


def test_name_flags_when_prefixed_names_then_point_in_time_flags() -> None:
    names = pd.Series(["XD*ST东电", "N华兴", "C华兴", "DR浦发银", "天茂退", "浦发银行", "XRST东北"])
    flags = name_flags(names)
    assert list(flags.columns) == list(NAME_FLAGS)
    assert flags.loc[0, ["st", "star_st", "ex_dividend"]].all()
    assert flags.loc[1, "listing"] and not flags.loc[1, "early_days"]
    assert flags.loc[2, "early_days"] and not flags.loc[2, "listing"]
    assert flags.loc[3, "ex_both"] and flags.loc[4, "delisting"]
    assert not flags.loc[5].any()
    assert flags.loc[6, ["st", "ex_rights"]].all() and not flags.loc[6, "star_st"]


@pytest.fixture
def store(tmp_path: Path) -> BarStore:
    bars = pd.DataFrame(
        {
            "date": [date(2024, 6, 3)] * 2, "symbol": ["600000.SH", "000001.SZ"], "name": ["浦发银行", "平安银行"],
            "open": [10.0, 11.0], "high": [10.0, 11.0], "low": [10.0, 11.0], "close": [10.0, 11.0],
            "prev_close": [10.0, 11.0], "volume": [1e6, 1e6], "amount": [1e7, 1.1e7], "st": [False, False],
            "listing_index": [100, 100],
        }
    )  # fmt: skip
    inst = pd.DataFrame(
        {
            "symbol": ["600000.SH", "000001.SZ", "000511.SZ"], "name": ["浦发银行", "平安银行", "银基"],
            "board": ["main"] * 3, "industry": ["bank", "bank", None],
            "list_date": [date(1999, 11, 10), date(1991, 4, 3), date(1993, 5, 18)],
            "delist_date": [None, None, date(2020, 1, 10)],
        }
    )  # fmt: skip
    return BarStore.write(tmp_path / "store", bars, inst, {})


def test_listed_on_when_delisted_then_excluded_with_industry(store: BarStore) -> None:
    assert listed_on(store, date(2024, 6, 3))["symbol"].tolist() == ["600000.SH", "000001.SZ"]
    assert listed_on(store, date(2019, 1, 2))["symbol"].tolist() == ["600000.SH", "000001.SZ", "000511.SZ"]
    assert listed_on(store, date(1995, 1, 3))["industry"].isna().tolist() == [False, True]


def test_members_on_when_spells_then_constituents_of_the_day(store: BarStore) -> None:
    spells = pd.DataFrame(
        {"symbol": ["sh600000", "000001", "sz000002"], "in_date": ["2005-04-08", "2005-04-08", "2005-04-08"],
         "out_date": [None, "2024-06-01", None]}
    )  # fmt: skip
    write_members(store, "CSI300", spells)
    assert members_on(store, "csi300", date(2024, 6, 3)) == ["000002.SZ", "600000.SH"]
    assert members_on(store, "000300.SH", date(2024, 5, 31)) == ["000001.SZ", "000002.SZ", "600000.SH"]
    with pytest.raises(DataError, match="no constituents of CSI500"):
        members_on(store, "CSI500", date(2024, 6, 3))


@pytest.mark.realdata
def test_benchmark_series_when_real_index_folder_then_csi300_closes(store: BarStore) -> None:
    if not REAL_INDEX.is_dir():
        pytest.skip("real index data absent")
    assert "000300.SH" in write_indices(REAL_INDEX, store)
    series = benchmark_series(store, "CSI300", date(2005, 1, 1), date(2005, 1, 5))
    assert series.to_dict() == {date(2005, 1, 4): 982.79, date(2005, 1, 5): 992.56}
    sessions = index_sessions(store)
    assert sessions[0] == date(1990, 12, 19) and date(2006, 11, 24) in sessions
    with pytest.raises(DataError, match=r"no index sh000999 \(000999.SH\) in .*imported: 000001.SH"):
        benchmark_series(store, "sh000999", date(2005, 1, 1), date(2005, 1, 5))
    with pytest.raises(DataError, match="neither a benchmark"):
        index_code("NOPE")
