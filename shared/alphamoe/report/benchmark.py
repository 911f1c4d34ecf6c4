"""The benchmark the day is compared with (CSI300 by default): closes from a daily CSV, read point in time."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from alphamoe.errors import DataError


@dataclass(frozen=True)
class DayMove:
    """The benchmark's close of a day and of the session before it, as the index's own rows say."""

    previous_day: date
    previous_close: Decimal
    close: Decimal

    @property
    def change(self) -> Decimal:
        return self.close / self.previous_close - 1


@dataclass(frozen=True)
class Benchmark:
    name: str
    closes: dict[date, Decimal]

    def move(self, day: date) -> DayMove | None:
        """Return the day's move, or None when the series has no row for `day` or none before it."""
        if day not in self.closes:
            return None
        earlier = [d for d in self.closes if d < day]
        if not earlier:
            return None
        previous = max(earlier)
        return DayMove(previous, self.closes[previous], self.closes[day])


def load_benchmark(path: Path, name: str) -> Benchmark:
    """Read `date` and `close` columns (the akshare index layout: date,open,close,high,low,…)."""
    closes: dict[date, Decimal] = {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    closes[date.fromisoformat(row["date"])] = Decimal(row["close"])
                except (KeyError, ValueError, InvalidOperation, TypeError):
                    raise DataError(f"{path}:{line}: needs ISO `date` and decimal `close`, was {row!r}") from None
    except FileNotFoundError:
        raise DataError(f"benchmark file {path} does not exist (clock.benchmark_csv)") from None
    return Benchmark(name, closes)
