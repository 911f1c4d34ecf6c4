"""The evidence archive's manifest: a long-running reader sees what a backfill adds to an old day, and re-reads
nothing that did not change."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from alphamoe.evidence import EvidenceItem, EvidenceKind, decision_cutoff
from alphamoe.evidence.archive import EvidenceArchive
from alphamoe.evidence.window import ArchiveWindow

START = date(2024, 3, 1)


def _news(title: str, day: date) -> EvidenceItem:
    at = datetime.combine(day, time(20))
    return EvidenceItem(kind=EvidenceKind.NEWS, symbol="600519.SH", published_at=at, title=title, source="t")


def test_window_when_backfill_adds_to_an_old_day_then_next_window_sees_it_reading_only_that_day(
    tmp_path: Path,
) -> None:
    archive = EvidenceArchive(tmp_path)
    archive.add(_news(f"day {i}", START + timedelta(days=i)) for i in range(60))
    window = ArchiveWindow(archive, lookback_days={EvidenceKind.NEWS: 10})
    day = START + timedelta(days=50)
    window.before(EvidenceKind.NEWS, "600519.SH", decision_cutoff(day), limit=100)
    reads = window.reads
    archive.add([_news("backfilled into day 42", START + timedelta(days=42))])  # a vendor's late backfill

    seen = window.before(EvidenceKind.NEWS, "600519.SH", decision_cutoff(day + timedelta(days=1)), limit=100)

    assert "backfilled into day 42" in [i.title for i in seen]
    assert window.reads == reads + 2  # day 51 (new to the window) and day 42 (changed); nothing else


def test_manifest_when_added_then_counts_partitions_and_fetched_day_never_moves_back(tmp_path: Path) -> None:
    archive = EvidenceArchive(tmp_path)
    archive.add([_news("a", START), _news("b", START), _news("a", START)])
    archive.mark_fetched("tushare", START + timedelta(days=3))
    archive.mark_fetched("tushare", START)

    assert archive.counts() == {f"news/2024/{START.isoformat()}.jsonl": 2}
    assert archive.fetched_through("tushare") == START + timedelta(days=3)
    assert archive.fetched_through("akshare") is None
