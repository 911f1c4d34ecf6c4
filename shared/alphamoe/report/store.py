"""The report store: end-of-day reports as JSON and HTML in an ObjectStore (a local folder or S3).

Keys: `<day>/end_of_day.json|html` is the day's latest run; `<day>/runs/<run_id>.json|html` keeps every run,
so a forced rerun never hides the run before it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from alphamoe.report.endofday import EndOfDayReport
from alphamoe.report.page import render_html
from alphamoe.storage import ObjectNotFound, ObjectStore, open_store


class ReportStore:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    @classmethod
    def open(cls, location: Path | str) -> ReportStore:
        return cls(open_store(location))

    def save(self, report: EndOfDayReport) -> list[str]:
        """Write the report's JSON and HTML under the day and the run; return the keys written."""
        day = report.trading_day.isoformat()
        body = report.model_dump_json(indent=2).encode("utf-8")
        page = render_html(report).encode("utf-8")
        keys = [f"{day}/runs/{report.run_id}.json", f"{day}/runs/{report.run_id}.html"]
        keys += [f"{day}/end_of_day.json", f"{day}/end_of_day.html"]
        for key, data in zip(keys, (body, page, body, page), strict=True):
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

    def where(self, day: date, suffix: str = "html") -> str:
        """Return where the day's latest page is: a file path for a local store, else its URL."""
        key = f"{day.isoformat()}/end_of_day.{suffix}"
        path = self.store.local_path(key)
        return str(path) if path is not None else f"{self.store.url.rstrip('/')}/{key}"
