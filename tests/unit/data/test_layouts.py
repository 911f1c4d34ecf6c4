from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from alphamoe.data.sources import FORMATS, import_source, read_source
from alphamoe.errors import DataError
from alphamoe.market.bars import BAR_COLUMNS, BarStore

SAMPLES = Path(__file__).parent / "samples"
DAYS = [date(2021, 6, 30), date(2021, 7, 1), date(2021, 7, 2), date(2021, 7, 6)]  # 07-05 suspended


def _pufa(fmt: str) -> pd.DataFrame:
    bars = read_source(fmt, SAMPLES / fmt).bars
    return bars[bars["symbol"] == "600000.SH"].reset_index(drop=True)


@pytest.mark.parametrize("fmt", ["akshare", "tushare", "baostock", "qmt"])
def test_read_source_when_sample_layout_then_shares_cny_and_ex_rights_prev_close(fmt: str) -> None:
    bars = _pufa(fmt)
    assert tuple(bars.columns) == BAR_COLUMNS
    assert bars["date"].tolist() == DAYS  # no row on the suspended day, oldest first
    assert bars["volume"].tolist() == [3_000_000.0, 2_500_000.0, 2_000_000.0, 1_800_000.0]  # shares, not lots
    assert bars["amount"].tolist() == [29_550_000.0, 23_625_000.0, 18_760_000.0, 16_812_000.0]  # CNY
    assert bars["prev_close"].tolist() == [9.80, 9.40, 9.45, 9.33]  # 9.40: the exchange's ex-dividend reference
    assert bars[["open", "high", "low", "close"]].iloc[1].tolist() == [9.42, 9.50, 9.38, 9.45]
    assert bars["listing_index"].tolist() == [0, 1, 2, 3]
    assert not bars["st"].any()


def test_read_source_when_every_layout_then_identical_bars() -> None:
    frames = [_pufa(fmt) for fmt in ("akshare", "tushare", "baostock", "qmt")]
    for other in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], other)


def test_read_source_when_akshare_chinext_file_then_a_chinext_stock() -> None:
    result = read_source("akshare", SAMPLES / "akshare")
    row = result.instruments.set_index("symbol").loc["300750.SZ"]
    assert row["board"] == "chinext"
    assert result.report.notes == ("the akshare files carry no names: no ST/N/XD flags from names",)


def test_read_source_when_baostock_is_st_then_point_in_time_st_flag() -> None:
    bars = read_source("baostock", SAMPLES / "baostock").bars.set_index(["symbol", "date"])
    assert not bars.loc[("000001.SZ", date(2021, 6, 30)), "st"]
    assert bars.loc[("000001.SZ", date(2021, 7, 1)), "st"]


def test_read_source_when_baostock_adjusted_then_refused(tmp_path: Path) -> None:
    text = (SAMPLES / "baostock" / "sh.600000.csv").read_text(encoding="utf-8").replace(",3,", ",2,")
    (tmp_path / "sh.600000.csv").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"adjusted prices \(adjustflag=\['2'\]\); import raw prices"):
        read_source("baostock", tmp_path)


def test_read_source_when_tushare_columns_missing_then_error_names_them_and_the_call(tmp_path: Path) -> None:
    (tmp_path / "600000.SH.csv").write_text("ts_code,trade_date,open,high,low,close\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"lacks the tushare columns \['vol', 'amount'\].*pro\.daily"):
        read_source("tushare", tmp_path)


def test_read_source_when_no_prev_close_then_previous_row_and_first_row_skipped(tmp_path: Path) -> None:
    lines = [
        "日期,开盘,收盘,最高,最低,成交量,成交额",
        "2021-06-30,9.8,9.85,9.9,9.75,30000,29550000",
        "2021-07-01,9.42,9.45,9.5,9.38,25000,23625000",
    ]
    (tmp_path / "sh600000.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_source("akshare", tmp_path)
    assert result.bars["prev_close"].tolist() == [9.85]  # no ex-rights reference without 涨跌额
    assert result.report.skipped == {"first row without a previous close": 1}
    assert any("no previous close" in note for note in result.report.notes)


def test_read_source_when_bad_rows_then_skipped_and_counted(tmp_path: Path) -> None:
    text = (SAMPLES / "tushare" / "600000.SH.csv").read_text(encoding="utf-8")
    text += "600000.SH,2021-07-07,9.3,9.4,9.2,9.3,9.35,0,0,100,93\n600000.SH,20210708,9.3,9.4,9.2,abc,9.35,0,0,100,93\n"
    (tmp_path / "600000.SH.csv").write_text(text, encoding="utf-8")
    result = read_source("tushare", tmp_path)
    assert len(result.bars) == 4
    assert result.report.skipped == {"date is not a date": 1, "price is not a positive number": 1}


def test_import_source_when_qmt_then_store_meta_names_importer(tmp_path: Path) -> None:
    import_source("qmt", SAMPLES / "qmt", tmp_path / "store")
    store = BarStore(tmp_path / "store")
    assert store.meta()["importer"] == "qmt"
    assert store.sessions() == DAYS
    assert store.day(date(2021, 7, 1))["600000.SH"].prev_close == 9.40
    assert set(FORMATS) == {"ganlei", "akshare", "tushare", "baostock", "qmt"}
