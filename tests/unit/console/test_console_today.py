"""The Today page reads the day's Today view, not the whole report: a 5,500-stock day opens at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.console import big_day_report, console_app, sign_in, users
from support.report_day import DAY

from alphamoe.report.endofday import EndOfDayReport
from alphamoe.report.store import ReportStore
from alphamoe.report.today import TODAY_ROWS, today_view

SIGNALS = TODAY_ROWS + 20


def test_today_view_when_saved_then_first_rows_and_every_total_read_back(tmp_path: Path) -> None:
    report = big_day_report(DAY, SIGNALS)
    store = ReportStore.open(tmp_path)
    store.save(report)
    view = store.load_today(DAY)
    assert view.verdicts == report.verdicts[:TODAY_ROWS] and view.verdicts_total == SIGNALS
    assert view.performance == report.performance and view.orders_total == len(report.day.orders)
    assert store.load_today(DAY, report.run_id) == view


def test_today_view_when_report_replaced_without_its_view_then_cut_from_the_report(tmp_path: Path) -> None:
    store = ReportStore.open(tmp_path)
    store.save(big_day_report(DAY, SIGNALS))
    rerun = big_day_report(DAY, 5).model_copy(update={"run_id": "rerun"})
    store.store.put_bytes(f"{DAY}/end_of_day.json", rerun.model_dump_json().encode())  # a save cut short
    assert store.load_today(DAY) == today_view(rerun)  # never the older run's rows


def test_today_page_when_view_stored_then_whole_report_never_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ReportStore.open(tmp_path / "reports").save(big_day_report(DAY, SIGNALS))
    _, client = console_app(tmp_path, None, users=users())
    sign_in(client, "bob")

    def refuse(*args: object, **kwargs: object) -> EndOfDayReport:
        raise AssertionError("the whole report was parsed for the Today page")

    with monkeypatch.context() as m:
        m.setattr(EndOfDayReport, "model_validate_json", refuse)
        page = client.get("/today").text
    assert page.count("<tr><td>") >= TODAY_ROWS and "20 more signals not shown (ranked after 300)" in page
    every = client.get("/today", params={"day": str(DAY), "all": "1"}).text
    assert "more signals not shown" not in every and f"{600000 + SIGNALS - 1:06d}.SH" in every
