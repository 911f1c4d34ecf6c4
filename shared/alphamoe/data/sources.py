"""One entry point for every import format: `alphamoe data import --format …` calls this."""

from __future__ import annotations

from pathlib import Path

from alphamoe.data.actions.layouts import ActionImport, read_actions_source
from alphamoe.data.actions.store import write_actions
from alphamoe.data.ganlei import read_ganlei
from alphamoe.data.importer import Imported, write_imported
from alphamoe.data.layouts import LAYOUTS, Progress, read_layout
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore
from alphamoe.storage import ObjectStore, S3Location, S3Settings, open_store

FORMATS = ("ganlei", *LAYOUTS)


def read_source(fmt: str, path: Path, *, progress: Progress | None = None) -> Imported:
    """Read daily bars of format `fmt` (ganlei, akshare, tushare, baostock, qmt) from a folder or file."""
    if fmt == "ganlei":
        return read_ganlei(path, progress=progress)
    if fmt in LAYOUTS:
        return read_layout(fmt, path, progress=progress)
    raise DataError(f"--format {fmt!r} is not supported (supported: {', '.join(FORMATS)})")


def write_source(
    fmt: str,
    path: Path,
    out: Path | str | S3Location | ObjectStore,
    *,
    s3: S3Settings | None = None,
    progress: Progress | None = None,
) -> BarStore:
    """Import `path` into a bar store at `out` (a folder or s3://bucket/prefix); meta.json records the import.

    The corporate actions the bars' previous closes imply are inferred and stored beside them.
    """
    result = read_source(fmt, path, progress=progress)
    if result.bars.empty:
        raise DataError(f"{path} holds no importable {fmt} rows ({result.report.skipped_rows} skipped)")
    return write_imported(result, out, fmt, s3=s3)


def write_actions_source(
    fmt: str, path: Path, out: Path | str | S3Location | ObjectStore, *, s3: S3Settings | None = None
) -> tuple[ActionImport, int]:
    """Import a corporate-action table (tushare, akshare) into the store at `out`; return it and the store's total.

    It adds or replaces the (symbol, ex date)s it brings and keeps every other record; nothing is written
    when the table holds no action.
    """
    result = read_actions_source(fmt, path)
    if not result.actions:
        raise DataError(f"{path} holds no importable {fmt} corporate actions ({result.report.skipped_rows} skipped)")
    return result, len(write_actions(open_store(out, s3=s3), result.actions))
