"""The report store: end-of-day reports as JSON and HTML in an ObjectStore (a local folder or S3).

Keys: `<day>/end_of_day.json|html` is the day's latest run; `<day>/runs/<run_id>.json|html` keeps every run,
so a forced rerun never hides the run before it. `<day>/today.json` and `<day>/today/<run_id>.json` hold each
one's Today view (`report.today`): the first rows a person reads, a few hundred KB instead of a whole market.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from alphamoe.report.day import DayReport
from alphamoe.report.endofday import EndOfDayReport
from alphamoe.report.page import render_html
from alphamoe.report.today import TodayView, today_view
from alphamoe.storage import ObjectNotFound, ObjectStore, open_store

if TYPE_CHECKING:
    from alphamoe.settings_core import CoreSettings


def report_location(settings: CoreSettings) -> str:
    """Where the end-of-day reports are: ALPHAMOE_CLOCK__REPORT_STORE, else <runs>/reports.

    Here beside the store, not with the clock that writes them: `alphamoe report` reads them without the clock.
    """
    return settings.clock.report_store or str(settings.runs_dir / "reports")


def day_report_of_run(settings: CoreSettings, day: date, run_id: str) -> DayReport | None:
    """Return the day report of run `run_id` on `day`: the report store's copy (clock and cluster runs), else
    the one `alphamoe run` wrote under <runs>/<day> when it is that run's; None when neither is."""
    try:
        return ReportStore.open(report_location(settings)).load(day, run_id).day
    except ObjectNotFound:
        pass
    path = settings.runs_dir / day.isoformat() / "report.json"
    if path.is_file():
        report = DayReport.model_validate_json(path.read_text(encoding="utf-8"))
        if report.run_id == run_id:
            return report
    return None


class ReportStore:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    @classmethod
    def open(cls, location: Path | str) -> ReportStore:
        return cls(open_store(location))

    def save(self, report: EndOfDayReport) -> list[str]:
        """Write the report's JSON, HTML and Today view under the day and the run; return the keys written."""
        day = report.trading_day.isoformat()
        body = report.model_dump_json(indent=2).encode("utf-8")
        page = render_html(report).encode("utf-8")
        view = _ViewFile(report_sha256=_digest(body), view=today_view(report)).model_dump_json().encode("utf-8")
        keys = [f"{day}/runs/{report.run_id}.json", f"{day}/runs/{report.run_id}.html"]
        keys += [f"{day}/end_of_day.json", f"{day}/end_of_day.html"]
        keys += [_view_key(report.trading_day, report.run_id), _view_key(report.trading_day, None)]
        for key, data in zip(keys, (body, page, body, page, view, view), strict=True):
            self.store.put_bytes(key, data)
        return keys

    def load(self, day: date, run_id: str | None = None) -> EndOfDayReport:
        """Return the day's latest report (or the named run's); raise ObjectNotFound naming the store."""
        key = f"{day.isoformat()}/runs/{run_id}.json" if run_id else f"{day.isoformat()}/end_of_day.json"
        try:
            raw = self.store.get_bytes(key)
        except ObjectNotFound:
            raise ObjectNotFound(
                f"no end-of-day report for {day.isoformat()}{f' run {run_id}' if run_id else ''} in {self.store.url} "
                "(it is written at market.close; or build one with `alphamoe report --date D --run`)"
            ) from None
        return EndOfDayReport.model_validate_json(raw)

    def load_today(self, day: date, run_id: str | None = None) -> TodayView:
        """Return the Today view of the day's latest report (or the named run's).

        The stored view is used only when it was cut from the very report now stored (its digest matches:
        a rerun, or a save cut short in between, cannot show another run's rows); else — a report saved
        before views were — it is cut from the report itself. Raises ObjectNotFound as `load`.
        """
        key = f"{day.isoformat()}/runs/{run_id}.json" if run_id else f"{day.isoformat()}/end_of_day.json"
        view_key = _view_key(day, run_id)
        if self.store.exists(view_key) and self.store.exists(key):
            stored = _ViewFile.model_validate_json(self.store.get_bytes(view_key))
            if stored.report_sha256 == _digest(self.store.get_bytes(key)):
                return stored.view
        return today_view(self.load(day, run_id))

    def where(self, day: date, suffix: str = "html") -> str:
        """Return where the day's latest page is: a file path for a local store, else its URL."""
        key = f"{day.isoformat()}/end_of_day.{suffix}"
        path = self.store.local_path(key)
        return str(path) if path is not None else f"{self.store.url.rstrip('/')}/{key}"


class _ViewFile(BaseModel):
    """A stored Today view and the digest of the report JSON it was cut from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    report_sha256: str
    view: TodayView


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _view_key(day: date, run_id: str | None) -> str:
    return f"{day.isoformat()}/today/{run_id}.json" if run_id else f"{day.isoformat()}/today.json"
