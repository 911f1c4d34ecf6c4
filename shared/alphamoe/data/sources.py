"""One entry point for every import format: `alphamoe data import --format …` calls this."""

from __future__ import annotations

from pathlib import Path

from alphamoe.data.ganlei import read_ganlei
from alphamoe.data.importer import Imported
from alphamoe.data.layouts import LAYOUTS, Progress, read_layout
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore
from alphamoe.storage import ObjectStore, S3Location, S3Settings

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
    """Import `path` into a bar store at `out` (a folder or s3://bucket/prefix); meta.json records the import."""
    result = read_source(fmt, path, progress=progress)
    if result.bars.empty:
        raise DataError(f"{path} holds no importable {fmt} rows ({result.report.skipped_rows} skipped)")
    meta = {"importer": fmt, **result.report.as_meta()}
    return BarStore.write(out, result.bars, result.instruments, meta, s3=s3)
