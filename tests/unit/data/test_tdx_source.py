"""The 通达信 day-file source on files written in the real record layout (support.tdx_files, `struct.pack`).

The files are the real A-share bars (../shared/data/ashare) as TDX stores them: prices × 100, amount as a
float32, volume in shares, no previous close and no name.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from support.tdx_files import day_file_name, write_day_file, write_vipdoc

from alphamoe.data.actions.infer import infer_actions
from alphamoe.data.feeds.tdx import TdxSource
from alphamoe.errors import DataError

pytestmark = pytest.mark.realdata
DAY = date(2022, 1, 14)


@pytest.fixture(scope="module")
def recent(real_daily: object) -> pd.DataFrame:
    bars: pd.DataFrame = real_daily.bars  # type: ignore[attr-defined]
    return bars[bars["date"] >= date(2020, 1, 1)].reset_index(drop=True)


@pytest.fixture(scope="module")
def vipdoc(recent: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_vipdoc(tmp_path_factory.mktemp("tdx"), recent)


def test_fetch_day_when_files_in_real_layout_then_bars_equal_the_csvs(recent: pd.DataFrame, vipdoc: Path) -> None:
    batch = TdxSource(vipdoc.parent).fetch_day(DAY)
    want = recent[recent["date"] == DAY].set_index("symbol").sort_index()
    got = batch.bars.set_index("symbol").sort_index()
    assert list(got.index) == list(want.index)
    for column in ("open", "high", "low", "close", "volume"):
        assert (got[column] == want[column]).all(), column
    assert ((got["amount"] - want["amount"]).abs() <= want["amount"] * 1e-7).all()  # float32 in the file
    assert batch.problems == [] and (got["name"] == "").all()  # names come from the store (update)


def test_fetch_day_when_no_action_that_day_then_prev_close_is_previous_record_close(
    recent: pd.DataFrame, vipdoc: Path, real_daily: object
) -> None:
    ex_days = {(a.symbol, a.ex_date) for a in infer_actions(real_daily.bars)}  # type: ignore[attr-defined]
    day = date(2021, 7, 1)
    got = TdxSource(vipdoc).fetch_day(day).bars.set_index("symbol")["prev_close"]
    want = recent[recent["date"] == day].set_index("symbol")["prev_close"]
    plain = [s for s in want.index if (s, day) not in ex_days]
    assert plain and (got[plain] == want[plain]).all()


def test_fetch_day_when_actions_known_then_prev_close_is_the_exchange_reference(
    recent: pd.DataFrame, vipdoc: Path, real_daily: object
) -> None:
    actions = [a for a in infer_actions(real_daily.bars) if a.ex_date >= date(2021, 1, 1)]  # type: ignore[attr-defined]
    day, symbol = actions[0].ex_date, actions[0].symbol
    exchange = recent[(recent["date"] == day) & (recent["symbol"] == symbol)]["prev_close"].iloc[0]
    without = TdxSource(vipdoc).fetch_day(day).bars.set_index("symbol").loc[symbol, "prev_close"]
    source = TdxSource(vipdoc, actions_on=lambda d: [a for a in actions if a.ex_date == d])
    batch = source.fetch_day(day)
    assert without != exchange  # the raw last close: the ex-rights step is invisible in the files
    assert batch.bars.set_index("symbol").loc[symbol, "prev_close"] == exchange
    assert batch.actions == []  # known already to whoever gave them: not published again


def test_fetch_day_when_day_older_than_the_tail_then_whole_file_read(recent: pd.DataFrame, vipdoc: Path) -> None:
    day = date(2020, 3, 2)
    got = TdxSource(vipdoc).fetch_day(day).bars.set_index("symbol")["close"].sort_index()
    want = recent[recent["date"] == day].set_index("symbol")["close"].sort_index()
    assert (got == want).all() and len(got) == len(want)


def test_fetch_day_when_file_truncated_then_problem_names_the_file(recent: pd.DataFrame, tmp_path: Path) -> None:
    vipdoc = write_vipdoc(tmp_path, recent[recent["symbol"].isin(["600000.SH", "000060.SZ"])])
    path = vipdoc / day_file_name("600000.SH")
    path.write_bytes(path.read_bytes()[:-5])
    batch = TdxSource(vipdoc).fetch_day(date(2022, 1, 13))
    assert batch.problems == [f"sh600000.day: {path.stat().st_size} bytes is not a whole number of 32-byte records "
                              "(truncated)"]  # fmt: skip
    assert set(batch.bars["symbol"]) == {"600000.SH", "000060.SZ"}  # whole records still read


def test_fetch_day_when_day_written_twice_then_both_rows_reach_the_gate(recent: pd.DataFrame, tmp_path: Path) -> None:
    rows = recent[recent["symbol"] == "600000.SH"]
    twice = pd.concat([rows, rows[rows["date"] == DAY]])
    write_day_file(tmp_path / "vipdoc" / day_file_name("600000.SH"), twice)
    batch = TdxSource(tmp_path).fetch_day(DAY)
    assert list(batch.bars["symbol"]) == ["600000.SH", "600000.SH"]


def test_sessions_when_sse_composite_file_present_then_it_is_the_calendar(recent: pd.DataFrame, tmp_path: Path) -> None:
    stock = recent[recent["symbol"] == "600000.SH"]
    write_day_file(tmp_path / "vipdoc" / day_file_name("600000.SH"), stock[stock["date"] != date(2022, 1, 12)])
    write_day_file(tmp_path / "vipdoc" / "sh" / "lday" / "sh000001.day", stock)  # an index's file: every session
    source = TdxSource(tmp_path)
    assert source.sessions(date(2022, 1, 10), DAY) == [date(2022, 1, d) for d in (10, 11, 12, 13, 14)]
    assert "000001.SH" not in set(source.fetch_day(DAY).bars["symbol"])  # an index is not a stock bar


def test_source_when_folder_has_no_day_files_then_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no TDX day files"):
        TdxSource(tmp_path)
