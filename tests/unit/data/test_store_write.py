"""Writes to a bar store add or replace exactly the days they bring, keep every other day, refuse to destroy."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from support.recording_store import RecordingStore

from alphamoe.data.store_write import KEEP_BACKUPS, DestructiveWriteError, append_bars
from alphamoe.data.synthetic import generate_market
from alphamoe.market.bars import BarStore
from alphamoe.storage import StorageUnavailableError, open_store
from alphamoe.storage.copy import copy_object


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_market(40, date(2023, 11, 1), date(2024, 3, 29), 5)


def _days(bars: pd.DataFrame) -> list[date]:
    return sorted(set(bars["date"]))


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def test_write_when_store_exists_and_years_missing_then_refused_unless_replace(
    tmp_path: Path, market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    bars, instruments = market
    BarStore.write(tmp_path, bars, instruments, {"generator": "test"})
    before = _snapshot(tmp_path)
    only_2024 = bars[bars["date"] >= date(2024, 1, 1)]
    sessions_2023 = len([d for d in _days(bars) if d.year == 2023])
    with pytest.raises(DestructiveWriteError, match=rf"1 year\(s\) 2023 \({sessions_2023} sessions\)"):
        BarStore.write(tmp_path, only_2024, instruments, {"generator": "test"})
    assert _snapshot(tmp_path) == before
    store = BarStore.write(tmp_path, only_2024, instruments, {"generator": "test"}, replace=True)
    assert store.years == [2024] and store.sessions() == _days(only_2024)
    saved = BarStore(tmp_path / "backups" / "g000001")
    assert saved.years == [2023] and saved.sessions() == _days(bars)  # only the year file it replaced
    assert saved.frame()["date"].nunique() == sessions_2023


def test_append_when_days_arrive_one_by_one_then_store_equals_one_write(
    tmp_path: Path, market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    bars, instruments = market
    days = _days(bars)
    BarStore.write(tmp_path / "daily", bars[bars["date"] < days[-3]], instruments, {"generator": "test"})
    for day in days[-3:]:
        report = append_bars(tmp_path / "daily", bars[bars["date"] == day], source="test")
        assert report.added_days == [day] and report.backup is None
    whole = BarStore.write(tmp_path / "whole", bars, instruments, {"generator": "test"})
    pd.testing.assert_frame_equal(BarStore(tmp_path / "daily").frame(), whole.frame())
    assert BarStore(tmp_path / "daily").meta()["generation"] == 4


def test_append_when_day_replaced_then_backup_and_retention_bounded(
    tmp_path: Path, market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    bars, instruments = market
    last = _days(bars)[-1]
    BarStore.write(tmp_path, bars, instruments, {"generator": "test"})
    original = (tmp_path / "bars" / "2024.parquet").read_bytes()
    day = bars[bars["date"] == last].copy()
    for step in range(KEEP_BACKUPS + 2):
        day["amount"] = day["amount"] + 1.0
        report = append_bars(tmp_path, day, source="correction")
        assert report.replaced_days == [last]
        assert report.backup == f"backups/g{step + 1:06d}"
    assert BarStore(tmp_path).frame(last, last)["amount"].tolist() == day["amount"].tolist()
    kept = sorted({key.split("/")[1] for key in open_store(tmp_path).list("backups/")})
    assert kept == [f"g{g:06d}" for g in range(3, KEEP_BACKUPS + 3)]
    note = json.loads((tmp_path / "backups" / "g000003" / "backup.json").read_text())
    assert note["replaced_days"] == [last.isoformat()] and "bars/2024.parquet" in note["objects"]
    assert original != (tmp_path / "backups" / "g000003" / "bars" / "2024.parquet").read_bytes()


def test_append_when_interrupted_before_sessions_then_readers_see_old_store(
    tmp_path: Path, market: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    bars, instruments = market
    days = _days(bars)
    BarStore.write(tmp_path, bars[bars["date"] < days[-1]], instruments, {"generator": "test"})
    watched = RecordingStore(open_store(tmp_path))
    append_bars(watched, bars[bars["date"] == days[-1]], source="test")
    assert watched.writes == ["bars/2024.parquet", "sessions.parquet", "meta.json"]  # sessions: the commit
    crash = RecordingStore(open_store(tmp_path / "crash"), fail_on="sessions.parquet")
    BarStore.write(tmp_path / "crash", bars[bars["date"] < days[-1]], instruments, {"generator": "test"})
    with pytest.raises(StorageUnavailableError):
        append_bars(crash, bars[bars["date"] == days[-1]], source="test")
    store = BarStore(tmp_path / "crash")
    assert store.sessions()[-1] == days[-2]
    assert store.panel(days[-1], 5).last_day == days[-2]  # the half-written day is invisible to the scan


def test_copy_object_when_local_then_backup_keeps_old_bytes_after_replace(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.put_bytes("bars/2024.parquet", b"old")
    copy_object(store, "bars/2024.parquet", "backups/g1/bars/2024.parquet")
    store.put_bytes("bars/2024.parquet", b"new")
    assert store.get_bytes("backups/g1/bars/2024.parquet") == b"old"
    assert store.list("backups/") == ["backups/g1/bars/2024.parquet"]
