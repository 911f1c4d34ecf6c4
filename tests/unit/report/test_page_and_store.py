"""The report as a page and in the store: HTML a browser opens, JSON that reads back, every run kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from support.report_day import CLOSING, DAY, OPENING, RUN, day_events

from alphamoe.report.day import build_report
from alphamoe.report.endofday import EndOfDayReport, build_end_of_day
from alphamoe.report.page import print_end_of_day, render_html
from alphamoe.report.store import ReportStore
from alphamoe.storage import ObjectNotFound


def report(run_id: str = RUN) -> EndOfDayReport:
    events = day_events()
    day = build_report(events, CLOSING, run_id=run_id, calendar="exchange_calendars XSHG", stage_ms={})
    return build_end_of_day(day, events, opening=OPENING, latency=[], source="in-process")


def test_render_html_when_reasons_hold_markup_then_escaped_and_every_section_present() -> None:
    page = render_html(report())
    for section in ("Clock", "Equity and P&amp;L", "Signals and verdicts (2)", "Rejections (1)", "Orders",
                    "Fills", "Positions", "LLM usage", "Latency by stage"):  # fmt: skip
        assert section in page
    assert "RSI(14) 86 at or above 80: overheated" in page
    assert "max_name_weight: weight 0.12 above the 0.10 cap" in page
    assert "<script" not in page and page.startswith("<!doctype html>")


def test_print_end_of_day_when_terminal_then_headline_and_reasons() -> None:
    console = Console(record=True, width=160)
    print_end_of_day(report(), console)
    text = console.export_text()
    assert "P&L: 500" in text and "overheated" in text and "max_name_weight" in text


def test_store_when_saved_then_latest_and_each_run_read_back(tmp_path: Path) -> None:
    store = ReportStore.open(tmp_path / "reports")
    store.save(report(RUN))
    store.save(report("20250331-test-rerun1"))
    assert store.load(DAY).run_id == "20250331-test-rerun1"
    assert store.load(DAY, RUN).run_id == RUN  # a forced rerun does not hide the run before it
    html = Path(store.where(DAY))
    assert html.is_file() and html.suffix == ".html"


def test_store_when_no_report_then_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ObjectNotFound, match="no end-of-day report for 2025-03-31"):
        ReportStore.open(tmp_path / "reports").load(DAY)
