from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from alphamoe.data.ganlei import GanleiImport, csv_files, import_ganlei, read_ganlei, write_ganlei
from alphamoe.data.names import is_st_name
from alphamoe.errors import DataError
from alphamoe.market.bars import BAR_COLUMNS, BarStore

REAL_DAILY = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "ashare" / "daily"
BANNER = "数据由邢不行整理"
HEADER = "股票代码,股票名称,交易日期,开盘价,最高价,最低价,收盘价,前收盘价,成交量,成交额,流通市值,总市值"
ROWS = [
    "sz000001,平安银行,2021-06-30,23.28,23.40,22.88,23.35,23.20,72345100.0,1683012345.0,4.5e11,4.5e11",
    "sz000001,XD平安银,2021-07-14,23.00,23.50,22.90,23.38,22.82,61000000.0,1420000000.0,4.5e11,4.5e11",
    "sz000001,*ST平安,2021-07-15,22.21,22.21,22.21,22.21,23.38,1200.0,26652.0,4.3e11,4.3e11",
]


def _csv(folder: Path, name: str, lines: list[str], *, bom: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ("\n".join(lines) + "\n").encode("utf-8"))
    return path


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    _csv(tmp_path / "daily", "sz000001.csv", [BANNER, HEADER, *ROWS])
    return tmp_path / "daily"


def test_import_ganlei_when_three_row_sample_then_exact_bars(sample: Path) -> None:
    bars, instruments = import_ganlei(sample)
    assert tuple(bars.columns) == BAR_COLUMNS
    assert bars["symbol"].tolist() == ["000001.SZ"] * 3
    assert bars["date"].tolist() == [date(2021, 6, 30), date(2021, 7, 14), date(2021, 7, 15)]
    assert bars["name"].tolist() == ["平安银行", "XD平安银", "*ST平安"]
    assert bars[["open", "high", "low", "close", "prev_close"]].iloc[1].tolist() == [23.0, 23.5, 22.9, 23.38, 22.82]
    assert bars["volume"].tolist() == [72345100.0, 61000000.0, 1200.0]
    assert bars["amount"].iloc[2] == 26652.0
    assert bars["st"].tolist() == [False, False, True]
    assert bars["listing_index"].tolist() == [0, 1, 2]
    row = instruments.iloc[0]
    assert (row["symbol"], row["name"], row["board"]) == ("000001.SZ", "平安", "main")
    assert row["list_date"] == date(2021, 6, 30)
    assert pd.isna(row["delist_date"])


@pytest.mark.parametrize("banner", [True, False])
def test_import_ganlei_when_file_starts_with_bom_then_header_still_found(tmp_path: Path, banner: bool) -> None:
    lines = [BANNER, HEADER, ROWS[0]] if banner else [HEADER, ROWS[0]]
    _csv(tmp_path, "sz000001.csv", lines, bom=True)
    bars, _ = import_ganlei(tmp_path / "sz000001.csv")
    assert bars["symbol"].tolist() == ["000001.SZ"]
    assert bars["close"].tolist() == [23.35]


def test_import_ganlei_when_columns_missing_then_data_error_names_file_and_columns(tmp_path: Path) -> None:
    header = HEADER.replace("前收盘价,", "").replace("成交额,", "")
    _csv(tmp_path, "sh600000.csv", [BANNER, header, "sh600000,浦发银行,2021-06-30,1,1,1,1,1,1,1"])
    with pytest.raises(DataError, match=r"sh600000\.csv lacks the ganlei columns \['前收盘价', '成交额'\]"):
        import_ganlei(tmp_path)


def test_read_ganlei_when_rows_have_bad_numbers_then_skipped_and_counted(tmp_path: Path) -> None:
    bad = [
        "sz000001,平安银行,2021-07-16,abc,23.40,22.88,23.35,23.20,100.0,2335.0,1,1",
        "sz000001,平安银行,2021-07-19,23.28,23.40,22.88,23.35,23.20,,2335.0,1,1",
        "sz000001,平安银行,2021/07/20,23.28,23.40,22.88,23.35,23.20,100.0,2335.0,1,1",
        "sz000001,平安银行,2021-07-21,23.28,23.40,22.88,0,23.20,100.0,2335.0,1,1",
        "sz000001,平安银行,2021-06-30,23.28,23.40,22.88,23.35,23.20,100.0,2335.0,1,1",  # duplicate day
    ]
    _csv(tmp_path, "sz000001.csv", [BANNER, HEADER, *ROWS, *bad])
    result = read_ganlei(tmp_path)
    assert len(result.bars) == 3
    assert result.report.skipped == {
        "price is not a positive number": 2,
        "volume or amount is not a number >= 0": 1,
        "date is not YYYY-MM-DD": 1,
        "duplicate (symbol, date) row": 1,
    }
    assert result.report.skipped_rows == 5
    assert result.report.examples[0] == "sz000001.csv:6: price is not a positive number"


def test_read_ganlei_when_not_a_stock_code_then_rows_skipped(tmp_path: Path) -> None:
    _csv(tmp_path, "sh000300.csv", [BANNER, HEADER, ROWS[0].replace("sz000001", "sh000300")])
    _csv(tmp_path, "sz000001.csv", [BANNER, HEADER, ROWS[0]])
    result = read_ganlei(tmp_path)
    assert result.bars["symbol"].tolist() == ["000001.SZ"]
    assert result.report.skipped == {"symbol is not an A-share stock code": 1}


def test_csv_files_when_path_missing_or_empty_then_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        csv_files(tmp_path / "nowhere")
    with pytest.raises(DataError, match=r"holds no \*\.csv"):
        csv_files(tmp_path)


def test_write_ganlei_when_written_then_store_meta_records_import(sample: Path, tmp_path: Path) -> None:
    store = write_ganlei(sample, tmp_path / "store")
    meta = BarStore(tmp_path / "store").meta()
    assert meta["importer"] == "ganlei"
    assert meta["rows"] == 3
    assert meta["skipped"] == {}
    assert store.sessions() == [date(2021, 6, 30), date(2021, 7, 14), date(2021, 7, 15)]
    assert store.day(date(2021, 7, 15))["000001.SZ"].st is True


@pytest.mark.realdata
def test_read_ganlei_when_real_folder_then_every_file_imported(real_daily: GanleiImport) -> None:
    bars, instruments, report = real_daily.bars, real_daily.instruments, real_daily.report
    assert report.files == 114
    assert report.skipped == {}
    assert len(bars) == report.rows == 366_223
    assert bars["symbol"].nunique() == 114 == len(instruments)
    assert bars["symbol"].str.fullmatch(r"\d{6}\.(SH|SZ|BJ)").all()
    assert set(instruments["board"]) == {"main", "star", "chinext", "bse"}
    first = bars.groupby("symbol")["listing_index"].min()
    assert (first == 0).all()
    per_stock = bars.groupby("symbol").size()
    assert (bars.groupby("symbol")["listing_index"].max() == per_stock - 1).all()
    assert (bars["name"].map(is_st_name) == bars["st"]).all()
    assert bars["st"].sum() > 5_000
    assert set(instruments.dropna(subset=["delist_date"])["symbol"]) == {"000511.SZ", "002509.SZ", "002711.SZ"}


@pytest.mark.realdata
@pytest.mark.parametrize("stem", ["sh600663", "sh600690"])  # the two files that start with a UTF-8 BOM
def test_read_ganlei_when_real_bom_file_then_first_row_matches_csv(real_daily: GanleiImport, stem: str) -> None:
    raw = (REAL_DAILY / f"{stem}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    first = raw.decode("utf-8-sig").splitlines()[2].split(",")
    symbol = f"{stem[2:]}.{stem[:2].upper()}"
    bar = real_daily.bars[real_daily.bars["symbol"] == symbol].iloc[0]
    assert (bar["date"].isoformat(), bar["name"], bar["close"]) == (first[2], first[1], float(first[6]))
    assert bar["listing_index"] == 0
