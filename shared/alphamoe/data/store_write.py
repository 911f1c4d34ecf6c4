"""Writes to a bar store that add or replace exactly the sessions they bring and keep every other day.

The commit protocol (readers are unchanged: `BarStore` bounds its reads by the session list):
  1. plan first, write nothing: a write that would remove a year, a day or a stock's bar of a day refuses
     (`DestructiveWriteError`, naming what would go) unless `replace=True`; a write that changes nothing
     writes nothing, not even meta.json (the same day twice is idempotent);
  2. what a replacement overwrites is copied to `backups/g<generation>/` (year files, sessions, instruments,
     meta.json and a backup.json naming the days), the newest KEEP_BACKUPS kept;
  3. when days go, sessions.parquet first stops listing them;
  4. each changed bars/<year>.parquet is replaced whole (one atomic rename or PUT: a day switches at once;
     one file per year, so a year of daily appends leaves no small files to compact);
  5. instruments.parquet, merged: new stocks added, names and delistings updated from the newest bars;
  6. sessions.parquet lists the new days: the commit point, a day is in the store once listed there;
  7. year files of removed years are deleted; meta.json last, its `generation` one higher.
A reader bounded by the session list (`panel`, `sessions`, the scan's load) sees the old store or the new one.
Limits: a multi-year replacement switches year by year, and `day(D)` can see D's bars just before step 6.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from alphamoe.data.actions.model import CorporateAction
from alphamoe.data.quality import Finding
from alphamoe.errors import DataError
from alphamoe.market.bars import (
    BAR_COLUMNS,
    BAR_SCHEMA,
    INSTRUMENT_SCHEMA,
    BarStore,
    _is_year_key,
    _parquet_bytes,
    _RangeFile,
    _read_table,
    _session_groups,
)
from alphamoe.storage import ObjectNotFoundError, ObjectStore, S3Location, S3Settings, open_store
from alphamoe.storage.copy import copy_object

KEEP_BACKUPS = 5  # backups kept per store, newest first; each holds only the year files a write replaced
BACKUPS = "backups/"
EXAMPLES = 5  # days or stock-days named in a refusal


class DestructiveWriteError(DataError):
    """A write would remove stored bars; the message lists the years, days and stock-days it would remove."""


class WriteReport(BaseModel):
    """What one write did to a store's sessions (each list ascending)."""

    model_config = ConfigDict(frozen=True)

    added_days: list[date] = []
    replaced_days: list[date] = []
    unchanged_days: list[date] = []
    removed_days: list[date] = []  # only with replace=True
    backup: str | None = None  # key prefix of the copy of what was replaced (None: nothing replaced)

    @property
    def changed(self) -> bool:
        return bool(self.added_days or self.replaced_days or self.removed_days)


@dataclass
class _YearPlan:
    year: int
    table: pa.Table | None  # the year file to publish (None: unchanged, or removed)
    added: set[date] = field(default_factory=set)
    replaced: set[date] = field(default_factory=set)
    unchanged: set[date] = field(default_factory=set)
    removed: set[date] = field(default_factory=set)
    dropped: list[tuple[date, str]] = field(default_factory=list)  # stock-days gone from days that stay
    rows_delta: int = 0


def append_bars(
    root: Path | str | S3Location | ObjectStore,
    bars: pd.DataFrame,
    instruments: pd.DataFrame | None = None,
    *,
    source: str,
    replace: bool = False,
    s3: S3Settings | None = None,
    meta: Mapping[str, Any] | None = None,
) -> WriteReport:
    """Add or replace exactly the sessions in `bars` (BAR_COLUMNS) and keep every other day.

    Creates the store when absent. `listing_index` continues each stock's count from its last stored bar
    (a one-day file cannot know it). A day whose rows would drop stocks the store holds that day refuses
    unless `replace=True`. `meta` describes the write: the store's meta.json on a new store, its
    `last_write` on an existing one.
    """
    objects = open_store(root, s3=s3)
    frame = normalize_bars(bars)
    if frame.empty:
        return WriteReport()
    frame = continue_listing(objects, frame)
    return _publish(objects, frame, instruments, whole=False, replace=replace, source=source, meta=meta)


def write_store(
    root: Path | str | S3Location | ObjectStore,
    bars: pd.DataFrame,
    instruments: pd.DataFrame,
    meta: Mapping[str, Any],
    *,
    replace: bool = False,
    s3: S3Settings | None = None,
) -> WriteReport:
    """Write `bars` as the whole store (`BarStore.write`): into an existing store only what it would not remove.

    Days, stocks and years the store holds but `bars` lacks refuse the write unless `replace=True`, which
    removes them after backing them up.
    """
    objects = open_store(root, s3=s3)
    frame = normalize_bars(bars)
    return _publish(objects, frame, instruments, whole=True, replace=replace, source="store", meta=meta)


def normalize_bars(bars: pd.DataFrame, *, duplicates: bool = False) -> pd.DataFrame:
    """Return `bars` as BAR_COLUMNS with python dates, sorted by (date, symbol); refuse a duplicate stock-day
    unless `duplicates` (the gate reports them as findings)."""
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise DataError(f"bar frame lacks columns {missing}")
    frame = bars.loc[:, list(BAR_COLUMNS)].copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    frame = frame.sort_values(["date", "symbol"], kind="stable").reset_index(drop=True)
    dup = frame.duplicated(["date", "symbol"])
    if dup.any() and not duplicates:
        first = frame.loc[dup].iloc[0]
        raise DataError(
            f"bar frame holds {int(dup.sum())} duplicate (date, symbol) rows, e.g. {first['symbol']} on {first['date']}"
        )
    return frame


# -- the store's context ---------------------------------------------------------------------------------
def stored_years(objects: ObjectStore) -> list[int]:
    return sorted(int(k[5:-8]) for k in objects.list("bars/") if _is_year_key(k))


def last_bars(objects: ObjectStore, before: date, symbols: Iterable[str]) -> pd.DataFrame:
    """Return the last stored bar dated before `before` of each of `symbols` (BAR_COLUMNS), if any.

    Row groups are read backwards from `before` and the search stops once every stock has been found:
    the previous session's group serves a daily append; a long suspension reads further back.
    """
    wanted = set(symbols)
    found: list[pd.DataFrame] = []
    limit = pa.scalar(before, pa.date32())
    for year in sorted((y for y in stored_years(objects) if y <= before.year), reverse=True):
        file = _year_file(objects, year)
        meta = file.metadata
        at = meta.schema.names.index("date")
        for group in reversed(range(meta.num_row_groups)):
            stats = meta.row_group(group).column(at).statistics
            if stats is not None and stats.has_min_max and stats.min >= before:
                continue
            keys = file.read_row_groups([group], columns=["date", "symbol"], use_threads=False)
            hit = pc.and_(
                pc.less(keys.column("date"), limit),
                pc.is_in(keys.column("symbol"), pa.array(sorted(wanted), pa.string())),
            )
            if pc.any(hit).as_py():  # only then decode the whole group
                table = file.read_row_groups([group], use_threads=False).filter(hit)
                part = table.to_pandas().drop_duplicates("symbol", keep="last")
                found.append(part)
                wanted -= set(part["symbol"])
            if not wanted:
                break
        if not wanted:
            break
    if not found:
        empty: pd.DataFrame = BAR_SCHEMA.empty_table().to_pandas()
        return empty
    out = pd.concat(found, ignore_index=True).sort_values("symbol", kind="stable").reset_index(drop=True)
    return out.loc[:, list(BAR_COLUMNS)]


def _year_file(objects: ObjectStore, year: int) -> pq.ParquetFile:
    key = f"bars/{year}.parquet"
    path = objects.local_path(key)
    return pq.ParquetFile(str(path) if path is not None else _RangeFile(objects, key))


def continue_listing(objects: ObjectStore, frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` with each stored stock's `listing_index` counted on from its last bar before the batch.

    Stocks the store has never held keep the source's count. A day inserted inside the stored span does
    not renumber the stored bars after it.
    """
    known = _stored_symbols(objects, listed_before=min(frame["date"]))
    incoming = set(frame["symbol"]) & known
    if not incoming:
        return frame
    base = last_bars(objects, min(frame["date"]), incoming).set_index("symbol")["listing_index"]
    rank = frame.groupby("symbol", sort=False).cumcount()
    start = frame["symbol"].map(base)
    out = frame.copy()
    has = start.notna().to_numpy()
    out.loc[has, "listing_index"] = (start[has].astype(np.int64) + 1 + rank[has]).astype(np.int32)
    out["listing_index"] = out["listing_index"].astype(np.int32)
    return out


def _stored_symbols(objects: ObjectStore, *, listed_before: date) -> set[str]:
    # the stocks the store lists as trading before the day: a stock listed later has no bar to count on from
    try:
        table = _read_table(objects, "instruments.parquet")
    except ObjectNotFoundError:
        return set()
    listed = pc.fill_null(pc.less(table.column("list_date"), pa.scalar(listed_before, pa.date32())), True)
    return set(table.filter(listed).column("symbol").to_pylist())


def _sessions(objects: ObjectStore, years: list[int]) -> list[date]:
    if not years:
        return []
    return list(BarStore(objects).sessions())


def _meta(objects: ObjectStore) -> dict[str, Any]:
    try:
        return dict(json.loads(objects.get_bytes("meta.json")))
    except ObjectNotFoundError:
        return {}


# -- planning --------------------------------------------------------------------------------------------
def _table(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, schema=BAR_SCHEMA, preserve_index=False)


def _row_keys(table: pa.Table) -> pd.DataFrame:
    # one hash per row over every column: two days are equal when their (symbol, hash) sets are
    frame = table.to_pandas()
    return pd.DataFrame(
        {
            "date": frame["date"],
            "symbol": frame["symbol"],
            "hash": pd.util.hash_pandas_object(frame, index=False).to_numpy(),
        }
    )


def _plan_year(objects: ObjectStore, year: int, new: pa.Table | None, *, whole: bool) -> _YearPlan:
    key = f"bars/{year}.parquet"
    old = _read_table(objects, key).cast(BAR_SCHEMA) if objects.exists(key) else None
    plan = _YearPlan(year, None)
    new_days = set(pc.unique(new.column("date")).to_pylist()) if new is not None else set()
    if old is None:
        plan.added, plan.table, plan.rows_delta = new_days, new, new.num_rows if new is not None else 0
        return plan
    old_days = set(pc.unique(old.column("date")).to_pylist())
    plan.added = new_days - old_days
    if whole:
        plan.removed = old_days - new_days
    both = sorted(old_days & new_days)
    if both:
        in_both = pa.array(both, pa.date32())
        old_part = old.filter(pc.is_in(old.column("date"), in_both))
        new_part = new.filter(pc.is_in(new.column("date"), in_both)) if new is not None else old.slice(0, 0)
        if old_part.equals(new_part):  # the common case of a repeated write: no hashing
            plan.unchanged = set(both)
            return plan if not (plan.added or plan.removed) else _merged(plan, old, new, new_days, whole=whole)
        a, b = _row_keys(old_part), _row_keys(new_part)
        joined = a.merge(b, on=["date", "symbol"], how="outer", suffixes=("_old", "_new"), indicator=True)
        differs = joined[joined["hash_old"] != joined["hash_new"]]
        plan.replaced = set(differs["date"])
        plan.unchanged = set(both) - plan.replaced
        gone = joined[joined["_merge"] == "left_only"]
        plan.dropped = sorted(zip(gone["date"], gone["symbol"], strict=True))
    if not (plan.added or plan.replaced or plan.removed):
        return plan
    return _merged(plan, old, new, new_days, whole=whole)


def _merged(plan: _YearPlan, old: pa.Table, new: pa.Table | None, new_days: set[date], *, whole: bool) -> _YearPlan:
    # the year file after the write: the old days it keeps and the new days, in (date, symbol) order
    if new is None:  # the whole year goes
        plan.rows_delta = -old.num_rows
        return plan
    gone = pa.array(sorted(new_days), pa.date32())
    kept = old.slice(0, 0) if whole else old.filter(pc.invert(pc.is_in(old.column("date"), gone)))
    merged = pa.concat_tables([kept, new])
    if kept.num_rows and min(new_days) <= pc.max(kept.column("date")).as_py():
        merged = merged.sort_by([("date", "ascending"), ("symbol", "ascending")])
    plan.table, plan.rows_delta = merged, merged.num_rows - old.num_rows
    return plan


def _refusal(objects: ObjectStore, plans: list[_YearPlan]) -> str | None:
    # what a write would remove, in words; None when it removes nothing
    years = [p.year for p in plans if p.table is None and p.removed and not (p.added or p.replaced or p.unchanged)]
    days = sorted(d for p in plans if p.year not in years for d in p.removed)
    stock_days = sorted(x for p in plans for x in p.dropped if x[0] not in p.removed)
    if not (years or days or stock_days):
        return None
    parts = []
    if years:
        sessions = sum(len(p.removed) for p in plans if p.year in years)
        parts.append(f"{len(years)} year(s) {_span([str(y) for y in years])} ({sessions:,} sessions)")
    if days:
        parts.append(f"{len(days)} day(s) {_span([d.isoformat() for d in days])}")
    if stock_days:
        named = ", ".join(f"{s} on {d}" for d, s in stock_days[:EXAMPLES])
        more = f", … {len(stock_days) - EXAMPLES} more" if len(stock_days) > EXAMPLES else ""
        parts.append(f"{len(stock_days):,} stock-day(s) ({named}{more})")
    return (
        f"this write would remove {'; '.join(parts)} from the bar store {objects.url}; nothing was written. "
        "Write only the days to add or replace, or pass replace=True (`--replace`) to remove them "
        f"(a backup is kept under {objects.url}/{BACKUPS})"
    )


def _span(items: list[str]) -> str:
    if len(items) <= EXAMPLES:
        return ", ".join(items)
    return f"{items[0]} … {items[-1]}"


# -- instruments -----------------------------------------------------------------------------------------
def merge_instruments(
    old: pd.DataFrame | None, new: pd.DataFrame, *, newest: bool, until: date | None = None
) -> pd.DataFrame:
    """Return the stored instruments updated by `new`: stocks added; list_date the earlier; name, board and
    delist_date from `new` when it carries the store's newest bars (`newest`), else kept; industry kept
    where `new` has none. `until`: the last day of the new bars."""
    columns = [f.name for f in INSTRUMENT_SCHEMA]
    incoming = new.reindex(columns=columns).drop_duplicates("symbol", keep="last").set_index("symbol")
    if old is None or old.empty:
        return incoming.reset_index()
    stored = old.reindex(columns=columns).set_index("symbol")
    both = stored.index.intersection(incoming.index)
    out = stored.copy()
    add = incoming.loc[incoming.index.difference(stored.index)]
    if len(both):
        upd = out.loc[both].copy()
        inc = incoming.loc[both]
        upd["list_date"] = [min(a, b) if pd.notna(a) and pd.notna(b) else (a if pd.notna(a) else b)
                            for a, b in zip(upd["list_date"], inc["list_date"], strict=True)]  # fmt: skip
        if newest:
            upd["name"] = inc["name"].where(inc["name"].fillna("") != "", upd["name"])
            upd["board"] = inc["board"].where(inc["board"].notna(), upd["board"])
            upd["delist_date"] = [  # a stored delisting after the new bars stands; one before them is undone
                n if pd.notna(n) else (o if pd.notna(o) and until is not None and o >= until else None)
                for n, o in zip(inc["delist_date"], upd["delist_date"], strict=True)
            ]
        upd["industry"] = inc["industry"].where(inc["industry"].notna(), upd["industry"])
        out.loc[both] = upd
    merged = pd.concat([out, add]) if len(add) else out
    return merged.reset_index()  # the stored order, new stocks after


def _instrument_table(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(
        frame.reindex(columns=[f.name for f in INSTRUMENT_SCHEMA]), schema=INSTRUMENT_SCHEMA, preserve_index=False
    )


# -- publishing ------------------------------------------------------------------------------------------
def _publish(
    objects: ObjectStore,
    frame: pd.DataFrame,
    instruments: pd.DataFrame | None,
    *,
    whole: bool,
    replace: bool,
    source: str,
    meta: Mapping[str, Any] | None,
) -> WriteReport:
    years_before = stored_years(objects)
    sessions_before = _sessions(objects, years_before)
    new_by_year = {int(y): _table(part) for y, part in frame.groupby(pd.to_datetime(frame["date"]).dt.year)}
    touched = sorted(set(new_by_year) | (set(years_before) if whole else set()))
    plans = [_plan_year(objects, y, new_by_year.get(y), whole=whole) for y in touched]
    if not replace and (reason := _refusal(objects, plans)) is not None:
        raise DestructiveWriteError(reason)
    report = WriteReport(
        added_days=sorted(d for p in plans for d in p.added),
        replaced_days=sorted(d for p in plans for d in p.replaced | ({d for d, _ in p.dropped} - p.removed)),
        unchanged_days=sorted(d for p in plans for d in p.unchanged - p.replaced),
        removed_days=sorted(d for p in plans for d in p.removed),
    )
    old_inst = (
        _read_table(objects, "instruments.parquet").to_pandas() if objects.exists("instruments.parquet") else None
    )
    if instruments is None:
        from alphamoe.data.importer import instruments_of  # importer writes through this module

        instruments = instruments_of(frame.sort_values(["symbol", "date"], kind="stable"))
    newest = not sessions_before or max(frame["date"]) >= sessions_before[-1]
    inst = (
        instruments
        if whole and replace
        else merge_instruments(old_inst, instruments, newest=newest, until=max(frame["date"]))
    )
    inst_table = _instrument_table(inst)
    inst_changed = old_inst is None or not _instrument_table(old_inst).equals(inst_table)
    old_meta = _meta(objects)
    generation = int(old_meta.get("generation", 0))
    new_meta = _next_meta(old_meta, meta, report, plans, whole=whole, source=source, generation=generation + 1)
    meta_changed = whole and {k: v for k, v in old_meta.items() if k != "generation"} != dict(meta or {})
    if not (report.changed or inst_changed or meta_changed or not years_before):
        return report
    backup = None
    if report.replaced_days or report.removed_days or (whole and replace and years_before):
        backup = _backup(objects, plans, report, source, generation)
        report = report.model_copy(update={"backup": backup})
    sessions = sorted((set(sessions_before) - set(report.removed_days)) | set(report.added_days))
    if report.removed_days:  # 3: readers stop asking for the days that go
        _put_sessions(objects, [d for d in sessions_before if d not in set(report.removed_days)])
    for plan in plans:  # 4
        if plan.table is not None:
            objects.put_bytes(f"bars/{plan.year}.parquet", year_bytes(plan.table))
    if inst_changed:  # 5
        objects.put_bytes("instruments.parquet", _parquet_bytes(inst_table))
    if sessions != sessions_before or not objects.exists("sessions.parquet"):  # 6: the commit point
        _put_sessions(objects, sessions)
    for plan in plans:  # 7
        if plan.table is None and plan.removed and not (plan.added or plan.replaced or plan.unchanged):
            objects.delete(f"bars/{plan.year}.parquet")
    objects.put_bytes("meta.json", json.dumps(new_meta, indent=2, default=str).encode("utf-8"))
    return report


def year_bytes(table: pa.Table) -> bytes:
    """Encode a year file: row groups of whole sessions with date statistics (one group per day's read);
    dictionary pages only for the repeating strings: a float dictionary costs half the encode and saves ~2%."""
    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        compression="zstd",
        row_group_size=_session_groups(table),
        use_dictionary=["symbol", "name"],
        write_statistics=True,
    )
    return bytes(sink.getvalue().to_pybytes())


def _put_sessions(objects: ObjectStore, sessions: list[date]) -> None:
    objects.put_bytes("sessions.parquet", _parquet_bytes(pa.table({"date": pa.array(sessions, type=pa.date32())})))


def _next_meta(
    old: dict[str, Any],
    given: Mapping[str, Any] | None,
    report: WriteReport,
    plans: list[_YearPlan],
    *,
    whole: bool,
    source: str,
    generation: int,
) -> dict[str, Any]:
    if whole or not old:
        return {**(dict(given) if given else {"source": source}), "generation": generation}
    out = {**old, "generation": generation}
    if "rows" in old:
        out["rows"] = int(old["rows"]) + sum(p.rows_delta for p in plans)
    days = report.added_days + report.replaced_days
    out["last_write"] = {
        "source": source,
        "added_days": len(report.added_days),
        "replaced_days": len(report.replaced_days),
        "first": min(days).isoformat() if days else None,
        "last": max(days).isoformat() if days else None,
        **({"details": dict(given)} if given else {}),
    }
    return out


def _backup(objects: ObjectStore, plans: list[_YearPlan], report: WriteReport, source: str, generation: int) -> str:
    """Copy what the write replaces to backups/g<generation>/ (deterministic: the store's write count)."""
    prefix = f"{BACKUPS}g{generation:06d}/"
    keys = [f"bars/{p.year}.parquet" for p in plans if p.replaced or p.removed or p.dropped]
    keys += ["sessions.parquet", "instruments.parquet", "meta.json"]
    saved = []
    for key in keys:
        if objects.exists(key):
            copy_object(objects, key, prefix + key)
            saved.append(key)
    note = {
        "generation": generation,
        "source": source,
        "replaced_days": [d.isoformat() for d in report.replaced_days],
        "removed_days": [d.isoformat() for d in report.removed_days],
        "objects": saved,
    }
    objects.put_bytes(prefix + "backup.json", json.dumps(note, indent=1).encode("utf-8"))
    stamps = sorted({k[len(BACKUPS) :].split("/", 1)[0] for k in objects.list(BACKUPS)})
    for stamp in stamps[:-KEEP_BACKUPS]:
        for key in objects.list(f"{BACKUPS}{stamp}/"):
            objects.delete(key)
    return prefix.rstrip("/")


# -- the quality gate ------------------------------------------------------------------------------------
class GateResult(BaseModel):
    """Days admitted into the store, and days quarantined with every finding (symbol, day, rule, detail)."""

    model_config = ConfigDict(frozen=True)

    admitted: list[date] = []
    quarantined: dict[date, list[dict[str, Any]]] = {}
    report: WriteReport = WriteReport()


def admit_days(
    root: Path | str | S3Location | ObjectStore,
    bars: pd.DataFrame,
    *,
    source: str,
    s3: S3Settings | None = None,
    instruments: pd.DataFrame | None = None,
    actions: Iterable[CorporateAction] = (),
) -> GateResult:
    """Run the `data check` rules on the incoming days against the stored previous closes; publish the days
    that pass (append_bars) and put each failing day in `quarantine/<day>/` with its findings.

    Nothing already in the store changes when a day fails. Days after a failed one are held in quarantine
    too (a hole would break the next day's previous-close check). `actions`: corporate actions the source
    published for these days (stored ones count as well) that explain a previous close below the last close.
    """
    from alphamoe.data.quarantine import gate_findings, quarantine_day, release_quarantine

    objects = open_store(root, s3=s3)
    frame = continue_listing(objects, normalize_bars(bars, duplicates=True))
    findings = gate_findings(objects, frame, actions)
    failed: dict[date, list[Finding]] = {}
    for day in sorted(set(frame["date"])):
        hits = findings.get(day, [])
        if failed and day > min(failed):
            hits = [*hits, Finding("*", day, "after_quarantined_day", f"held back: {min(failed)} is quarantined")]
        if hits:
            failed[day] = hits
    good = frame[~frame["date"].isin(set(failed))]
    for day, hits in failed.items():
        quarantine_day(objects, day, frame[frame["date"] == day], hits, source=source)
    report = WriteReport()
    if not good.empty:  # listing_index already counted on: publish as is
        report = _publish(
            objects, normalize_bars(good), instruments, whole=False, replace=False, source=source, meta=None
        )
        for day in sorted(set(good["date"])):
            release_quarantine(objects, day)
    return GateResult(
        admitted=sorted(set(good["date"])),
        quarantined={day: [finding_dict(f) for f in hits] for day, hits in failed.items()},
        report=report,
    )


def release_day(root: Path | str | S3Location | ObjectStore, day: date, *, s3: S3Settings | None = None) -> WriteReport:
    """Publish a quarantined day despite its findings (the operator's explicit call), then forget it."""
    from alphamoe.data.quarantine import quarantined_bars, release_quarantine

    objects = open_store(root, s3=s3)
    report = append_bars(objects, quarantined_bars(objects, day), source=f"quarantine release of {day}")
    release_quarantine(objects, day)
    return report


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {"symbol": finding.symbol, "day": finding.day.isoformat(), "rule": finding.rule, "detail": finding.detail}
