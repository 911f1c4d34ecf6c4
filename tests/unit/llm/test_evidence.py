"""Evidence is point in time: an item published at or after day D's 09:00 cutoff is never seen by D's experts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from alphamoe.errors import DataError
from alphamoe.events.payloads import SignalGenerated
from alphamoe.evidence import EvidenceKind, EvidenceProvider, EvidenceStore, decision_cutoff
from alphamoe.evidence.items import SHANGHAI

DAY = date(2024, 5, 6)


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    _write_jsonl(
        tmp_path / "news.jsonl",
        [
            {"symbol": "600519.SH", "published_at": "2024-05-05T20:00:00+08:00", "title": "old news"},
            {"symbol": "600519.SH", "published_at": "2024-05-06T08:59:59", "title": "just in time"},
            {"symbol": "600519.SH", "published_at": "2024-05-06T09:00:00+08:00", "title": "at the cutoff"},
            {"symbol": "600519.SH", "published_at": "2024-05-06T15:00:00+08:00", "title": "afternoon news"},
            {"published_at": "2024-05-03T10:00:00+08:00", "title": "PBoC holds rates"},
        ],
    )
    _write_jsonl(
        tmp_path / "fundamentals.jsonl",
        [{"symbol": "600519.SH", "published_at": "2024-04-26T19:30:00+08:00", "title": "Q1", "fields": {"roe": 0.3}}],
    )
    return tmp_path


def test_decision_cutoff_when_day_then_nine_shanghai() -> None:
    assert decision_cutoff(DAY) == datetime(2024, 5, 6, 9, 0, tzinfo=SHANGHAI)


def test_store_before_when_items_around_cutoff_then_only_earlier_ones(folder: Path) -> None:
    store = EvidenceStore.load(folder)

    items = store.before(EvidenceKind.NEWS, "600519.SH", decision_cutoff(DAY), limit=10)

    # a naive time is Asia/Shanghai; "at the cutoff" is already too late
    assert [i.title for i in items] == ["old news", "just in time"]


def test_store_before_when_limit_then_newest_kept(folder: Path) -> None:
    items = EvidenceStore.load(folder).before(
        EvidenceKind.NEWS, "600519.SH", decision_cutoff(date(2024, 5, 7)), limit=2
    )

    assert [i.title for i in items] == ["at the cutoff", "afternoon news"]


def test_provider_when_kinds_asked_then_only_those_and_market_wide(
    folder: Path, make_signal: Callable[..., SignalGenerated]
) -> None:
    provider = EvidenceProvider(EvidenceStore.load(folder))

    evidence = provider.evidence(make_signal(), ("fundamentals", "market_news"))

    assert [i.title for i in evidence.fundamentals] == ["Q1"]
    assert evidence.news == ()
    assert [i.title for i in evidence.market_news] == ["PBoC holds rates"]
    assert evidence.scan.p_win == 0.55 and evidence.features["ret_20d"] == 0.124


def test_input_hash_when_later_item_added_then_unchanged(
    folder: Path, make_signal: Callable[..., SignalGenerated]
) -> None:
    before = EvidenceProvider(EvidenceStore.load(folder)).evidence(make_signal(), ("news",)).input_hash()
    with (folder / "news.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"symbol": "600519.SH", "published_at": "2024-05-06T10:00:00+08:00", "title": "x"}))

    after = EvidenceProvider(EvidenceStore.load(folder)).evidence(make_signal(), ("news",)).input_hash()

    assert after == before


def test_provider_when_no_store_then_features_and_scan_only(make_signal: Callable[..., SignalGenerated]) -> None:
    evidence = EvidenceProvider().evidence(make_signal(), ("fundamentals", "news"))

    assert evidence.fundamentals == () and evidence.news == ()
    assert evidence.features


def test_store_load_when_parquet_then_same_items(tmp_path: Path) -> None:
    table = pa.table(
        {
            "symbol": ["600519.SH", None],
            "published_at": ["2024-05-05T20:00:00+08:00", "2024-05-03T10:00:00+08:00"],
            "title": ["Q1", "macro"],
            "fields": ['{"pe_ttm": 28.1}', None],
        }
    )
    pq.write_table(table, tmp_path / "fundamentals.parquet")

    store = EvidenceStore.load(tmp_path)

    items = store.before(EvidenceKind.FUNDAMENTAL, "600519.SH", decision_cutoff(DAY), limit=5)
    assert [(i.title, i.fields) for i in items] == [("Q1", {"pe_ttm": 28.1})]
    assert len(store) == 2


def test_store_load_when_bad_line_then_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "news.jsonl").write_text('{"title": "no date"}\n', encoding="utf-8")

    with pytest.raises(DataError, match=r"news\.jsonl:1"):
        EvidenceStore.load(tmp_path)
