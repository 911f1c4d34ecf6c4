"""A folder of CSVs in one of the `data import` layouts (ganlei, akshare, tushare, baostock, qmt) as a MarketSource.

Per-stock files (a stock's history) and per-day files (a day's whole market) read alike: every row is read
once, then each session is the rows dated that day. Rows are not cleaned here: the quality gate sees them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from alphamoe.data import ganlei, layouts
from alphamoe.data.feeds.frames import day_bars
from alphamoe.data.feeds.protocol import DayBatch
from alphamoe.errors import DataError

FILE_FORMATS = ("ganlei", *layouts.LAYOUTS)


class FilesSource:
    """Daily bars from a folder of CSV files in one `data import` layout."""

    def __init__(self, fmt: str, path: Path) -> None:
        if fmt not in FILE_FORMATS:
            raise DataError(f"file format {fmt!r} is not supported (supported: {', '.join(FILE_FORMATS)})")
        self.name = f"files:{fmt}"
        self.path = Path(path)
        self.fmt = fmt
        self._rows: pd.DataFrame | None = None

    @property
    def rows(self) -> pd.DataFrame:
        if self._rows is None:
            self._rows = ganlei.raw_rows(self.path) if self.fmt == "ganlei" else layouts.raw_rows(self.fmt, self.path)
        return self._rows

    def sessions(self, start: date, end: date) -> list[date]:
        days = self.rows["day"].dropna()
        return sorted({d for d in days if start <= d <= end})

    def fetch_day(self, day: date) -> DayBatch:
        rows = self.rows[self.rows["day"] == day]
        if rows.empty:
            raise DataError(f"no {self.fmt} row of {day} under {self.path}")
        notes = [] if self.fmt != "baostock" else ["baostock files: suspended rows (tradestatus 0) are left out"]
        return DayBatch(day=day, bars=day_bars(rows, day), notes=notes)
