"""Importer for the ganlei333/stockdata daily CSV layout (one file per stock, Chinese headers).

Layout: line 1 is a banner (some files start with a UTF-8 BOM), then the header
`股票代码,股票名称,交易日期,开盘价,最高价,最低价,收盘价,前收盘价,成交量,成交额,...`. Symbols are `sh600000`,
prices raw with the exchange's previous close, the name is the one printed that day (ST/*ST/N/C/XD/退
markers) and suspended days have no row. A row with an unreadable number is skipped and counted, never fatal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphamoe.data.names import base_name, is_delisting_name, is_st_name
from alphamoe.errors import DataError
from alphamoe.market.bars import BAR_COLUMNS, BarStore
from alphamoe.market.boards import board_of, normalize_symbol

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
_PRICES = ["open", "high", "low", "close", "prev_close"]
_HEADER_MARK = "股票代码"
_MAX_EXAMPLES = 10
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportReport:
    """What an import read and what it skipped (reason → row count, with a few `file:line` examples)."""

    source: str
    files: int
    rows: int
    skipped: dict[str, int] = field(default_factory=dict)
    examples: tuple[str, ...] = ()

    @property
    def skipped_rows(self) -> int:
        return sum(self.skipped.values())

    def as_meta(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "files": self.files,
            "rows": self.rows,
            "skipped": dict(self.skipped),
            "examples": list(self.examples),
        }


@dataclass(frozen=True)
class GanleiImport:
    bars: pd.DataFrame
    instruments: pd.DataFrame
    report: ImportReport


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


def _symbol(raw: str) -> str | None:
    try:
        symbol = normalize_symbol(raw)
        board_of(symbol)
    except DataError:
        return None
    return symbol


def _numbers(column: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.astype(np.float64)
    return pd.to_numeric(column, errors="coerce").astype(np.float64)


def _clean(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    # Returns the typed rows that passed every check, and the reason of each row that did not.
    frame = pd.DataFrame(
        {
            "symbol": raw["symbol"].map({code: _symbol(str(code)) for code in raw["symbol"].unique()}),
            "name": raw["name"].fillna("").astype(str).str.strip(),
            "date": pd.to_datetime(raw["date"], format="%Y-%m-%d", errors="coerce"),
            **{c: _numbers(raw[c]) for c in [*_PRICES, "volume", "amount"]},
        }
    )
    reasons = pd.Series("", index=frame.index, dtype=object)
    checks = [
        ("symbol is not an A-share stock code", frame["symbol"].isna()),
        ("date is not YYYY-MM-DD", frame["date"].isna()),
        ("price is not a positive number", ~(frame[_PRICES] > 0).all(axis=1)),
        ("volume or amount is not a number >= 0", ~(frame[["volume", "amount"]] >= 0).all(axis=1)),
        ("name is empty", frame["name"] == ""),
    ]
    for reason, bad in checks:
        reasons[bad & (reasons == "")] = reason
    bad_rows = reasons != ""
    return frame.loc[~bad_rows], reasons[bad_rows]


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
    frame, rejected = _clean(raw)
    skipped: Counter[str] = Counter({str(k): int(v) for k, v in rejected.value_counts().items()})
    examples = [f"{raw.at[i, 'where']!s}: {reason!s}" for i, reason in rejected.head(_MAX_EXAMPLES).items()]
    before = len(frame)
    frame = frame.sort_values(["symbol", "date"], kind="stable").drop_duplicates(["symbol", "date"])
    if len(frame) < before:
        skipped["duplicate (symbol, date) row"] += before - len(frame)
    frame["date"] = frame["date"].dt.date
    frame["st"] = frame["name"].map({name: is_st_name(name) for name in frame["name"].unique()}).astype(bool)
    frame["listing_index"] = frame.groupby("symbol", sort=False).cumcount().astype(np.int32)
    bars = frame.loc[:, list(BAR_COLUMNS)].sort_values(["date", "symbol"], kind="stable").reset_index(drop=True)
    report = ImportReport(
        source=str(Path(path).resolve()),
        files=len(files),
        rows=len(bars),
        skipped=dict(skipped),
        examples=tuple(examples),
    )
    return GanleiImport(bars, _instruments(frame), report)


def _instruments(frame: pd.DataFrame) -> pd.DataFrame:
    last = frame.groupby("symbol", sort=True).agg(
        name=("name", "last"), list_date=("date", "first"), last_date=("date", "last")
    )
    delisted = last["name"].map(is_delisting_name)
    return pd.DataFrame(
        {
            "symbol": last.index.astype(str),
            "name": last["name"].map(base_name).to_numpy(),
            "board": [board_of(s).value for s in last.index],
            "industry": None,  # the ganlei layout carries no industry
            "list_date": last["list_date"].to_numpy(),
            "delist_date": last["last_date"].where(delisted, None).to_numpy(),
        }
    )


def import_ganlei(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (bars, instruments) read from a ganlei daily folder; see `read_ganlei` for the report."""
    result = read_ganlei(path)
    return result.bars, result.instruments


def write_ganlei(path: Path, out: Path, *, progress: Progress | None = None) -> BarStore:
    """Import a ganlei folder into a bar store at `out`; meta.json records the source and skipped rows."""
    result = read_ganlei(path, progress=progress)
    meta = {"importer": FORMAT, **result.report.as_meta()}
    return BarStore.write(out, result.bars, result.instruments, meta)
