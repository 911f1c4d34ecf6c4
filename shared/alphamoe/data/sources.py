"""One entry point for every import format: `alphamoe data import --format …` calls this.

Into an existing store, the days after its last stored day go through the quality gate (`import_source`),
as `data update`'s days do: the importer's rows are passed to the gate unskipped (a −1 volume, a missing
previous close, a price outside the band are findings, not silently dropped rows), a failing day is
quarantined with every finding and nothing already stored changes. A first import (an empty store, a whole
history) and the days at or before the store's last one (a re-import, a backfill) are appended as read: on
a 30-year history the gate would hold every day after the first finding, and `data check` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from alphamoe.data import ganlei, layouts
from alphamoe.data.actions.layouts import ActionImport, read_actions_source
from alphamoe.data.actions.store import write_actions
from alphamoe.data.ganlei import read_ganlei
from alphamoe.data.importer import Imported, append_imported, inferred_actions, instruments_of, store_inferred_actions
from alphamoe.data.layouts import LAYOUTS, Progress, read_layout
from alphamoe.data.store_write import GateResult, WriteReport, admit_days
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore, has_bar_store
from alphamoe.storage import ObjectStore, S3Location, S3Settings, open_store

FORMATS = ("ganlei", *LAYOUTS)


def read_source(fmt: str, path: Path, *, progress: Progress | None = None) -> Imported:
    """Read daily bars of format `fmt` (ganlei, akshare, tushare, baostock, qmt) from a folder or file."""
    if fmt == "ganlei":
        return read_ganlei(path, progress=progress)
    if fmt in LAYOUTS:
        return read_layout(fmt, path, progress=progress)
    raise DataError(f"--format {fmt!r} is not supported (supported: {', '.join(FORMATS)})")


@dataclass(frozen=True)
class ImportOutcome:
    """What `data import` did: the days appended as read, and the days after the store's last through the gate."""

    imported: Imported | None  # the rows read the ordinary way, skips counted (None: every day was gated)
    written: WriteReport  # what the ungated days did to the store
    gate: GateResult | None = None  # None: nothing gated (a first import, --no-check, no day after the store's)
    gated_after: date | None = None  # the store's last day before the import: the days after it were gated
    gated_rows: int = 0  # rows handed to the gate, bad ones included
    undated_rows: int = 0  # rows after the store's span whose date is unreadable: not imported

    @property
    def quarantined(self) -> list[date]:
        return sorted(self.gate.quarantined) if self.gate is not None else []


def import_source(
    fmt: str,
    path: Path,
    out: Path | str | S3Location | ObjectStore,
    *,
    s3: S3Settings | None = None,
    progress: Progress | None = None,
    replace: bool = False,
    check: bool = True,
) -> ImportOutcome:
    """Add or replace the days of `path` in the bar store at `out` and keep every other day (created when absent).

    A stored day whose stocks the files lack refuses unless `replace`. The corporate actions the bars' previous
    closes imply are inferred and stored beside them; meta.json records the import. With `check`, the days after
    an existing store's last stored day go through the quality gate (`admit_days`): a failing day is quarantined
    with every finding, not published. An empty store, or `check` False (`data import --no-check`), takes the
    whole import as read (a first import stays as fast as before).
    """
    objects = open_store(out, s3=s3)
    if not check or not has_bar_store(objects):
        return ImportOutcome(*_import_as_read(fmt, path, objects, progress=progress, replace=replace))
    last = BarStore(objects).sessions()[-1]
    rows = raw_source_rows(fmt, path)
    dated = rows["day"].notna()
    after = rows["day"].map(lambda d: bool(pd.notna(d) and d > last)).astype(bool)
    undated = int((~dated).sum())
    imported: Imported | None = None
    written = WriteReport()
    if (dated & ~after).any():  # days the store spans: appended as read (replace rules apply)
        imported = _until(read_source(fmt, path, progress=progress), last)
        if not imported.bars.empty:
            written = append_imported(imported, objects, fmt, replace=replace)
    if not after.any():
        if imported is None:
            raise DataError(f"{path} holds no importable {fmt} rows ({undated} without a readable date)")
        return ImportOutcome(imported, written, undated_rows=undated)
    bars = _gate_bars(objects, rows[after])
    gate = admit_days(objects, bars, source=f"import:{fmt}")
    admitted = bars[bars["date"].isin(set(gate.admitted))]
    if not admitted.empty:  # as the ordinary import: the actions the admitted previous closes imply
        store_inferred_actions(objects, admitted, inferred_actions(objects, admitted))
    return ImportOutcome(imported, written, gate, gated_after=last, gated_rows=len(bars), undated_rows=undated)


def _import_as_read(
    fmt: str, path: Path, objects: ObjectStore, *, progress: Progress | None, replace: bool
) -> tuple[Imported, WriteReport]:
    # every day of `path` appended as read, unreadable rows skipped and counted
    result = read_source(fmt, path, progress=progress)
    if result.bars.empty:
        raise DataError(f"{path} holds no importable {fmt} rows ({result.report.skipped_rows} skipped)")
    return result, append_imported(result, objects, fmt, replace=replace)


def raw_source_rows(fmt: str, path: Path) -> pd.DataFrame:
    """Return every row of format `fmt` under `path` unchecked (canonical columns and the parsed `day`)."""
    if fmt == "ganlei":
        return ganlei.raw_rows(path)
    if fmt in LAYOUTS:
        return layouts.raw_rows(fmt, path)
    raise DataError(f"--format {fmt!r} is not supported (supported: {', '.join(FORMATS)})")


def _until(imported: Imported, last: date) -> Imported:
    # the part of an import dated on or before the store's last day
    bars = imported.bars[imported.bars["date"] <= last].reset_index(drop=True)
    if len(bars) == len(imported.bars):
        return imported
    return Imported(bars, instruments_of(bars.sort_values(["symbol", "date"], kind="stable")), imported.report)


def _gate_bars(objects: ObjectStore, rows: pd.DataFrame) -> pd.DataFrame:
    # vendor rows → the store's bars, one session at a time as `data update` builds them (bad rows kept)
    from alphamoe.data.feeds.frames import day_bars
    from alphamoe.data.feeds.protocol import DayBatch
    from alphamoe.data.update import with_stored_names

    days = sorted(set(rows["day"]))
    parts = [with_stored_names(objects, DayBatch(day=d, bars=day_bars(rows[rows["day"] == d], d))) for d in days]
    bars = pd.concat(parts, ignore_index=True)
    bars["listing_index"] = bars.groupby("symbol", sort=False).cumcount().astype(np.int32)  # the store counts on
    return bars


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
