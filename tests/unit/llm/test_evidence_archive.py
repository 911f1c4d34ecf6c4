"""The evidence archive and the tushare rows behind it: stable ids, kept once, partitioned, point in time, and
read a window of days at a time."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pytest

from alphamoe.errors import DataError
from alphamoe.evidence import EvidenceItem, EvidenceKind, EvidenceStore, decision_cutoff
from alphamoe.evidence.archive import EvidenceArchive
from alphamoe.evidence.items import SHANGHAI
from alphamoe.evidence.tushare import announcement_items, indicator_items, news_items
from alphamoe.evidence.window import ArchiveWindow

DAY = date(2024, 5, 6)


def _news(title: str, at: datetime, symbol: str | None = "600519.SH") -> EvidenceItem:
    return EvidenceItem(kind=EvidenceKind.NEWS, symbol=symbol, published_at=at, title=title, source="t")


def test_item_id_when_same_item_then_same_id_and_a_written_id_is_not_trusted() -> None:
    item = _news("board resolution", datetime(2024, 5, 5, 20, 0))

    assert item.id == _news("board resolution", datetime(2024, 5, 5, 20, 0, tzinfo=SHANGHAI)).id
    assert item.id != _news("board resolution", datetime(2024, 5, 5, 20, 1)).id
    assert item.id != _news("board resolution!", datetime(2024, 5, 5, 20, 0)).id
    forged = EvidenceItem.model_validate({**item.model_dump(), "id": "ev-forged"})
    assert forged.id == item.id


def test_archive_when_items_added_twice_then_kept_once_by_kind_and_day(tmp_path: Path) -> None:
    archive = EvidenceArchive(tmp_path)
    items = [
        _news("a", datetime(2024, 5, 5, 23, 59, 59)),
        _news("a", datetime(2024, 5, 5, 23, 59, 59)),
        _news("b", datetime(2024, 5, 6, 0, 0)),
        EvidenceItem(
            kind=EvidenceKind.FUNDAMENTAL, symbol="600519.SH", published_at=datetime(2024, 5, 6, 1), title="q1"
        ),
    ]

    first = archive.add(items)
    again = archive.add(items)

    assert (first.added, first.duplicates) == (3, 1)
    assert first.partitions == (
        "fundamental/2024/2024-05-06.jsonl",
        "news/2024/2024-05-05.jsonl",
        "news/2024/2024-05-06.jsonl",
    )
    assert (again.added, again.duplicates, again.partitions) == (0, 4, ())
    assert sorted(i.title for i in archive.read()) == ["a", "b", "q1"]
    assert [i.title for i in archive.read(since=DAY)] == ["q1", "b"]  # by day, then kind


def test_archive_when_a_partition_is_corrupt_then_error_names_object_and_line(tmp_path: Path) -> None:
    archive = EvidenceArchive(tmp_path)
    archive.add([_news("a", datetime(2024, 5, 5, 20))])
    archive.store.put_bytes("news/2024/2024-05-05.jsonl", b'{"kind": "news"}\n')

    with pytest.raises(DataError, match=r"news/2024/2024-05-05.jsonl:1: not an evidence item"):
        archive.read()


def test_tushare_rows_when_no_time_of_day_then_seen_from_the_next_day_only() -> None:
    indicators = indicator_items(
        pd.DataFrame([{"ts_code": "600519.SH", "ann_date": "20240506", "end_date": "20240331", "roe": 8.1}])
    )
    skipped: Counter[str] = Counter()
    notices = announcement_items(
        pd.DataFrame(
            [
                {"ann_date": "20240506", "ts_code": "600519.SH", "title": "early", "rec_time": "2024-05-06 08:30:00"},
                {"ann_date": "20240506", "ts_code": "600519.SH", "title": "dated only", "rec_time": None},
                {"ann_date": "20240506", "ts_code": "BAD", "title": "not an A-share", "rec_time": None},
                {"ann_date": "2024-05-06", "ts_code": "600519.SH", "title": "odd date", "rec_time": None},
            ]
        ),
        skipped,
    )
    store = EvidenceStore([*indicators, *notices])

    def titles(kind: EvidenceKind, day: date) -> list[str]:
        return [i.title for i in store.before(kind, "600519.SH", decision_cutoff(day), limit=10)]

    assert [i.fields["roe"] for i in indicators] == [8.1]
    assert skipped == {
        "anns_d: ts_code is not an A-share symbol": 1,
        "anns_d: neither rec_time nor ann_date (YYYYMMDD) is readable": 1,
    }
    assert titles(EvidenceKind.FUNDAMENTAL, DAY) == []  # ann_date == the day: not public at 09:00
    assert titles(EvidenceKind.FUNDAMENTAL, date(2024, 5, 7)) == [indicators[0].title]
    assert titles(EvidenceKind.NEWS, DAY) == ["early"]  # 08:30 on the day, before the cutoff
    assert titles(EvidenceKind.NEWS, date(2024, 5, 7)) == ["early", "dated only"]


def test_tushare_news_when_rows_then_market_wide_with_their_time() -> None:
    (item,) = news_items(
        pd.DataFrame([{"datetime": "2024-05-05 20:00:00", "content": "PBoC holds.", "title": "", "channels": "宏观"}]),
        "sina",
    )

    assert item.symbol is None and item.title == "PBoC holds." and item.fields == {"channels": "宏观"}
    assert item.published_at == datetime(2024, 5, 5, 20, tzinfo=SHANGHAI) and item.source == "tushare news:sina"


def test_window_when_days_advance_then_reads_each_new_partition_and_sees_late_additions(tmp_path: Path) -> None:
    archive = EvidenceArchive(tmp_path)
    start = date(2024, 3, 1)
    archive.add(_news(f"day {i}", datetime.combine(start + timedelta(days=i), time(20))) for i in range(60))
    window = ArchiveWindow(archive, lookback_days={EvidenceKind.NEWS: 10})
    day = start + timedelta(days=50)

    seen = window.before(EvidenceKind.NEWS, "600519.SH", decision_cutoff(day), limit=100)

    assert [i.title for i in seen] == [f"day {i}" for i in range(40, 50)]  # 10 days back; day 50's at 20:00 is later
    assert window.reads == 11
    assert window.before(EvidenceKind.NEWS, "600519.SH", decision_cutoff(day), limit=2) == seen[-2:]
    assert window.reads == 11  # the day's window is built once
    archive.add([_news("late on day 50", datetime.combine(day, time(21)))])  # the evening fetch adds to day 50

    later = window.before(EvidenceKind.NEWS, "600519.SH", decision_cutoff(day + timedelta(days=1)), limit=3)

    assert [i.title for i in later] == ["day 49", "day 50", "late on day 50"]
    assert window.reads == 13  # the new day's partition and the one before it, read again
