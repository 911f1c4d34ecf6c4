"""Reports survive a full disk: a failed write leaves the previous page and JSON whole, never half of one."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.disk import fill_disk
from support.report_day import CLOSING, OPENING, RUN, day_events

from alphamoe.report.day import DayReport, build_report
from alphamoe.report.endofday import build_end_of_day
from alphamoe.report.render import write_html
from alphamoe.report.store import ReportStore


def day_report(run_id: str = RUN) -> DayReport:
    return build_report(day_events(), CLOSING, run_id=run_id, calendar="exchange_calendars XSHG", stage_ms={})


def test_write_html_when_disk_fills_midway_then_previous_page_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_html(day_report(), tmp_path / "report.html")
    before = path.read_bytes()
    with monkeypatch.context() as m:
        fill_disk(m)
        with pytest.raises(OSError, match="No space left"):
            write_html(day_report("rerun-1"), path)
    assert path.read_bytes() == before and before.endswith(b"</html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_report_store_when_disk_fills_midway_then_previous_report_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ReportStore.open(tmp_path)
    report = build_end_of_day(day_report(), day_events(), opening=OPENING, latency=[], source="in-process")
    store.save(report)
    with monkeypatch.context() as m:
        fill_disk(m)
        with pytest.raises(OSError, match="No space left"):
            store.save(report.model_copy(update={"run_id": "rerun-1"}))
    assert store.load(report.trading_day) == report
