"""Importer for the ganlei333/stockdata daily CSV layout (one file per stock, Chinese headers).

Layout: line 1 is a banner (some files start with a UTF-8 BOM), then the header
`股票代码,股票名称,交易日期,开盘价,最高价,最低价,收盘价,前收盘价,成交量,成交额,...`. Symbols are `sh600000`,
prices raw with the exchange's previous close, the name is the one printed that day (ST/*ST/N/C/XD/退
markers) and suspended days have no row. A row with an unreadable number is skipped and counted, never fatal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from alphamoe.data.importer import Imported, ImportReport, clean, finish, write_imported
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore
from alphamoe.storage import S3Location

__all__ = [
    "FORMAT",
    "GanleiImport",
    "ImportReport",
    "csv_files",
    "import_ganlei",
    "raw_rows",
    "read_ganlei",
    "write_ganlei",
]

FORMAT = "ganlei"
COLUMNS = {
    "股票代码": "symbol",
    "股票名称": "name",
    "交易日期": "date",
    "开盘价": "open",
    "最高价": "high",
    "最低价": "low",
    "收盘价": "close",
    "前收盘价": "prev_close",
    "成交量": "volume",
    "成交额": "amount",
}
_HEADER_MARK = "股票代码"
Progress = Callable[[int, int], None]
GanleiImport = Imported  # bars, instruments, report


def csv_files(path: Path) -> list[Path]:
    """Return the CSV files of `path`: the file itself, its `daily/` folder, or the folder's *.csv."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(f"{path} does not exist (expected a ganlei daily/ folder or one of its CSV files)")
    folder = path / "daily" if (path / "daily").is_dir() else path
    files = sorted(p for p in folder.glob("*.csv") if p.name != "daily_selection.csv")
    if not files:
        raise DataError(f"{folder} holds no *.csv files in the ganlei layout (e.g. sh600000.csv)")
    return files


def _read_raw(path: Path) -> pd.DataFrame:
    # Text columns as str; numbers parsed by the C parser (a column with a bad cell stays text).
    try:
        with path.open(encoding="utf-8-sig") as fh:
            first = fh.readline()
        banner = 0 if _HEADER_MARK in first else 1
        text = dict.fromkeys(("股票代码", "股票名称", "交易日期"), str)
        frame = pd.read_csv(path, skiprows=banner, encoding="utf-8-sig", dtype=text, skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read {path} as a ganlei CSV: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path} lacks the ganlei columns {missing} (has {list(frame.columns)}); expected a banner line, "
            "then 股票代码,股票名称,交易日期,开盘价,最高价,最低价,收盘价,前收盘价,成交量,成交额"
        )
    frame = frame.loc[:, list(COLUMNS)].rename(columns=COLUMNS)
    frame["where"] = [f"{path.name}:{banner + 2 + i}" for i in range(len(frame))]
    return frame


def read_ganlei(path: Path, *, progress: Progress | None = None) -> GanleiImport:
    """Read every ganlei CSV under `path` into bars (BAR_COLUMNS) and instruments, with an import report.

    `st` comes from the day's name (ST, *ST, SST, S*ST), `listing_index` is the stock's row count (0 on
    its first row). A stock whose last name carries 退 is delisted after its last row.
    """
    files = csv_files(path)
    parts = []
    for done, file in enumerate(files, start=1):
        parts.append(_read_raw(file))
        if progress is not None:
            progress(done, len(files))
    raw = pd.concat(parts, ignore_index=True)
    dates = pd.to_datetime(raw["date"], format="%Y-%m-%d", errors="coerce")
    frame, rejected = clean(raw, dates=dates)
    return finish(
        raw, frame, rejected.replace("date is not a date", "date is not YYYY-MM-DD"), source=path, files=len(files)
    )


def raw_rows(path: Path) -> pd.DataFrame:
    """Return every ganlei row under `path` unchecked, in canonical columns, with the parsed `day`."""
    raw = pd.concat([_read_raw(file) for file in csv_files(path)], ignore_index=True)
    return raw.assign(day=pd.to_datetime(raw["date"], format="%Y-%m-%d", errors="coerce").dt.date)


def import_ganlei(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (bars, instruments) read from a ganlei daily folder; see `read_ganlei` for the report."""
    result = read_ganlei(path)
    return result.bars, result.instruments


def write_ganlei(path: Path, out: Path | str | S3Location, *, progress: Progress | None = None) -> BarStore:
    """Import a ganlei folder into a bar store at `out`, with the corporate actions its previous closes imply."""
    return write_imported(read_ganlei(path, progress=progress), out, FORMAT)
