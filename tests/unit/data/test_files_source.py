"""A folder of `data import` CSVs as a MarketSource: each session's rows, units normalised, bad rows kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from alphamoe.data.feeds.files import FilesSource
from alphamoe.data.sources import read_source
from alphamoe.errors import DataError

SAMPLES = Path(__file__).parent / "samples"


@pytest.mark.parametrize("fmt", ["akshare", "tushare", "baostock", "qmt"])
def test_fetch_day_when_layout_sample_then_bars_equal_the_import(fmt: str) -> None:
    imported = read_source(fmt, SAMPLES / fmt).bars
    imported = imported[imported["symbol"] == "600000.SH"]
    source = FilesSource(fmt, SAMPLES / fmt)
    days = source.sessions(date(2021, 1, 1), date(2021, 12, 31))
    assert days == sorted(imported["date"])
    for day in days:
        got = source.fetch_day(day).bars
        got = got[got["symbol"] == "600000.SH"].iloc[0]
        want = imported[imported["date"] == day].iloc[0]
        for column in ("open", "high", "low", "close", "prev_close", "volume", "amount"):
            assert got[column] == pytest.approx(want[column]), (fmt, day, column)


def test_fetch_day_when_row_has_negative_volume_then_kept_for_the_gate(tmp_path: Path) -> None:
    text = (SAMPLES / "tushare" / "600000.SH.csv").read_text(encoding="utf-8").splitlines()
    header, first = text[0], text[1]
    cells = dict(zip(header.split(","), first.split(","), strict=True))
    cells["vol"] = "-0.01"
    (tmp_path / "600000.SH.csv").write_text(header + "\n" + ",".join(cells.values()) + "\n", encoding="utf-8")
    day = date(int(cells["trade_date"][:4]), int(cells["trade_date"][4:6]), int(cells["trade_date"][6:]))
    assert read_source("tushare", tmp_path).bars.empty  # the importer skips it …
    bars = FilesSource("tushare", tmp_path).fetch_day(day).bars
    assert list(bars["volume"]) == [-1.0]  # … the update hands it to the gate, which quarantines the day


def test_fetch_day_when_no_row_that_day_then_clear_error() -> None:
    with pytest.raises(DataError, match="no tushare row of 2021-08-02"):
        FilesSource("tushare", SAMPLES / "tushare").fetch_day(date(2021, 8, 2))


def test_source_when_format_unknown_then_error_lists_formats(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="ganlei, akshare, tushare, baostock, qmt"):
        FilesSource("wind", tmp_path)
