"""What every daily-bar importer shares: typed cleaning, skip accounting, listing days and instruments.

A layout module turns its files into a raw frame with the canonical column names (symbol, name, date,
open, high, low, close, prev_close, volume in shares, amount in CNY, and `where` = `file:line`); this module
checks each row, counts what it skips and why, and builds the bars and instruments a BarStore holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphamoe.data.actions.infer import infer_actions
from alphamoe.data.actions.model import CorporateAction
from alphamoe.data.actions.store import write_actions
from alphamoe.data.names import base_name, is_delisting_name, is_st_name
from alphamoe.data.store_write import WriteReport, append_bars, last_bars
from alphamoe.errors import DataError
from alphamoe.market.bars import BAR_COLUMNS, BarStore
from alphamoe.market.boards import board_of, normalize_symbol
from alphamoe.storage import ObjectStore, S3Location, S3Settings, open_store

PRICES = ["open", "high", "low", "close", "prev_close"]
MAX_EXAMPLES = 10


@dataclass(frozen=True)
class ImportReport:
    """What an import read and what it skipped (reason → row count, with a few `file:line` examples)."""

    source: str
    files: int
    rows: int
    skipped: dict[str, int] = field(default_factory=dict)
    examples: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what the layout could not provide (e.g. no names: no ST flags)

    @property
    def skipped_rows(self) -> int:
        return sum(self.skipped.values())

    def as_meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "source": self.source,
            "files": self.files,
            "rows": self.rows,
            "skipped": dict(self.skipped),
            "examples": list(self.examples),
        }
        if self.notes:
            meta["notes"] = list(self.notes)
        return meta


@dataclass(frozen=True)
class Imported:
    """Bars (BAR_COLUMNS, raw prices), instruments and the import report of one import."""

    bars: pd.DataFrame
    instruments: pd.DataFrame
    report: ImportReport


def stock_symbol(raw: str) -> str | None:
    """Return the canonical symbol of a stock code, or None for indices, funds and non-codes."""
    try:
        symbol = normalize_symbol(raw)
        board_of(symbol)
    except DataError:
        return None
    return symbol


def numbers(column: pd.Series) -> pd.Series:
    """Return a column as float64; unreadable cells become NaN (and their rows are skipped)."""
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.astype(np.float64)
    return pd.to_numeric(column.astype(str).str.replace(",", "", regex=False).str.strip(), errors="coerce").astype(
        np.float64
    )


def clean(raw: pd.DataFrame, *, dates: pd.Series, names: bool = True) -> tuple[pd.DataFrame, pd.Series]:
    """Return the typed rows that passed every check, and the reason of each row that did not.

    `dates` is the parsed `date` column (NaT where unreadable); `names=False` for layouts without names.
    """
    frame = pd.DataFrame(
        {
            "symbol": raw["symbol"].map({code: stock_symbol(str(code)) for code in raw["symbol"].unique()}),
            "name": raw["name"].fillna("").astype(str).str.strip() if names else "",
            "date": dates,
            **{c: numbers(raw[c]) for c in [*PRICES, "volume", "amount"]},
        },
        index=raw.index,
    )
    if "st" in raw.columns:
        frame["st"] = raw["st"]
    reasons = pd.Series("", index=frame.index, dtype=object)
    checks = [
        ("symbol is not an A-share stock code", frame["symbol"].isna()),
        ("date is not a date", frame["date"].isna()),
        ("price is not a positive number", ~(frame[PRICES] > 0).all(axis=1)),
        ("volume or amount is not a number >= 0", ~(frame[["volume", "amount"]] >= 0).all(axis=1)),
    ]
    if names:
        checks.append(("name is empty", frame["name"] == ""))
    for reason, bad in checks:
        reasons[bad & (reasons == "")] = reason
    bad_rows = reasons != ""
    return frame.loc[~bad_rows], reasons[bad_rows]


def finish(
    raw: pd.DataFrame,
    frame: pd.DataFrame,
    rejected: pd.Series,
    *,
    source: Path,
    files: int,
    notes: tuple[str, ...] = (),
) -> Imported:
    """Deduplicate, derive `st` and `listing_index`, and build instruments and the report.

    `st` comes from the day's name (ST, *ST, SST, S*ST) unless the layout gave it; `listing_index` counts
    the stock's rows from 0 on its first one. A stock whose last name carries 退 is delisted after its last row.
    """
    skipped: Counter[str] = Counter({str(k): int(v) for k, v in rejected.value_counts().items()})
    examples = [f"{raw.at[i, 'where']!s}: {reason!s}" for i, reason in rejected.head(MAX_EXAMPLES).items()]
    before = len(frame)
    frame = frame.sort_values(["symbol", "date"], kind="stable").drop_duplicates(["symbol", "date"])
    if len(frame) < before:
        skipped["duplicate (symbol, date) row"] += before - len(frame)
    frame = frame.assign(date=frame["date"].dt.date)
    if "st" not in frame.columns:
        frame["st"] = frame["name"].map({name: is_st_name(name) for name in frame["name"].unique()})
    frame["st"] = frame["st"].astype(bool)
    frame["listing_index"] = frame.groupby("symbol", sort=False).cumcount().astype(np.int32)
    bars = frame.loc[:, list(BAR_COLUMNS)].sort_values(["date", "symbol"], kind="stable").reset_index(drop=True)
    report = ImportReport(
        source=str(Path(source).resolve()),
        files=files,
        rows=len(bars),
        skipped=dict(skipped),
        examples=tuple(examples),
        notes=notes,
    )
    return Imported(bars, instruments_of(frame), report)


def instruments_of(frame: pd.DataFrame) -> pd.DataFrame:
    """Return one row per symbol: last base name, board, first and (if delisted) last date."""
    last = frame.groupby("symbol", sort=True).agg(
        name=("name", "last"), list_date=("date", "first"), last_date=("date", "last")
    )
    delisted = last["name"].map(is_delisting_name)
    return pd.DataFrame(
        {
            "symbol": last.index.astype(str),
            "name": last["name"].map(lambda n: base_name(n) if n else "").to_numpy(),
            "board": [board_of(s).value for s in last.index],
            "industry": None,
            "list_date": last["list_date"].to_numpy(),
            "delist_date": last["last_date"].where(delisted, None).to_numpy(),
        }
    )


def files_under(path: Path, pattern: str, what: str) -> list[Path]:
    """Return the files of `path`: the file itself, or the folder's files matching `pattern`, sorted."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(f"{path} does not exist (expected a folder of {what} files or one of them)")
    files = sorted(p for p in path.glob(pattern) if p.is_file())
    if not files:
        raise DataError(f"{path} holds no {pattern} files in the {what} layout")
    return files


def write_imported(
    imported: Imported,
    out: Path | str | S3Location | ObjectStore,
    importer: str,
    *,
    s3: S3Settings | None = None,
    replace: bool = False,
) -> BarStore:
    """Append an import to the bar store at `out` (`append_imported`) and return the store."""
    objects = open_store(out, s3=s3)
    append_imported(imported, objects, importer, replace=replace)
    return BarStore(objects)


def append_imported(
    imported: Imported,
    out: Path | str | S3Location | ObjectStore,
    importer: str,
    *,
    s3: S3Settings | None = None,
    replace: bool = False,
) -> WriteReport:
    """Add or replace the days an import brings in the bar store at `out` (created when absent), keep every other.

    A day of the store whose stocks the import lacks refuses unless `replace` (DestructiveWriteError). The
    corporate actions the previous closes imply are inferred with each stock's last stored bar in front, and
    replace only the inferred records of the imported stocks dated inside the import; never a published record.
    """
    objects = open_store(out, s3=s3)
    bars = imported.bars
    inferred = inferred_actions(objects, bars)  # bars before the import: the same after it
    meta = {"importer": importer, **imported.report.as_meta(), "actions_inferred": len(inferred)}
    report = append_bars(objects, bars, imported.instruments, source=importer, replace=replace, meta=meta)
    store_inferred_actions(objects, bars, inferred)
    return report


def inferred_actions(objects: ObjectStore, bars: pd.DataFrame) -> list[CorporateAction]:
    """Return the corporate actions the previous closes of `bars` imply, each stock's last stored bar in front."""
    first = min(bars["date"])
    context = last_bars(objects, first, set(bars["symbol"]))
    return [a for a in infer_actions(pd.concat([context, bars], ignore_index=True)) if a.ex_date >= first]


def store_inferred_actions(objects: ObjectStore, bars: pd.DataFrame, inferred: list[CorporateAction]) -> None:
    """Replace the inferred records of the stocks of `bars` dated inside their span; never a published one."""
    span = (min(bars["date"]), max(bars["date"]))
    write_actions(objects, inferred, inferred_for=bars["symbol"].unique(), inferred_span=span)
