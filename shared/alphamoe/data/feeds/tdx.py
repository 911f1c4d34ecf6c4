"""通达信 (TDX) day files as a MarketSource: `vipdoc/{sh,sz,bj}/lday/<sh600000>.day`, the files TDX keeps.

Each file is one stock's history in 32-byte little-endian records, oldest first:

| bytes | field  | type    | unit                       |
| ----- | ------ | ------- | -------------------------- |
| 0–3   | date   | uint32  | YYYYMMDD                   |
| 4–19  | open, high, low, close | uint32 ×4 | price × 100 (fen) |
| 20–23 | amount | float32 | CNY                        |
| 24–27 | volume | uint32  | shares (股)                 |
| 28–31 | —      | uint32  | reserved                   |

The files hold no previous close and no name. The previous close is the previous record's close, which is the
exchange's only when no corporate action goes ex that day: when the actions of the day are known (passed in,
e.g. the store's published ones) the exchange's ex-rights reference is computed from them, otherwise the raw
close is kept and the quality gate's band rule catches the ex-rights step. Names come from the updater (the
stock's last stored name). A file whose size is not a whole number of records is reported, never half read.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from alphamoe.data.actions.model import CorporateAction
from alphamoe.data.feeds.frames import day_bars, reference_close
from alphamoe.data.feeds.protocol import DayBatch
from alphamoe.errors import DataError

RECORD = struct.Struct("<IIIIIfII")  # date, open, high, low, close, amount, volume, reserved
DTYPE = np.dtype(
    [("date", "<u4"), ("open", "<u4"), ("high", "<u4"), ("low", "<u4"), ("close", "<u4"),
     ("amount", "<f4"), ("volume", "<u4"), ("reserved", "<u4")]
)  # fmt: skip
MARKETS = ("sh", "sz", "bj")
TAIL_RECORDS = 64  # records read from a file's end: the day and the one before it are almost always there
ActionsOn = Callable[[date], list[CorporateAction]]


def vipdoc_of(path: Path) -> Path:
    """Return the vipdoc folder of a TDX install (its root, or vipdoc itself)."""
    path = Path(path)
    for candidate in (path, path / "vipdoc"):
        if any((candidate / m / "lday").is_dir() for m in MARKETS):
            return candidate
    raise DataError(f"{path} holds no TDX day files (expected vipdoc/sh/lday/*.day under it)")


def read_records(path: Path, tail: int | None = None) -> tuple[np.ndarray, str | None]:
    """Return a .day file's records (the last `tail` only, when given) and a problem, if the file is truncated."""
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        whole, extra = divmod(size, RECORD.size)
        count = whole if tail is None else min(tail, whole)
        fh.seek((whole - count) * RECORD.size)
        records = np.frombuffer(fh.read(count * RECORD.size), dtype=DTYPE)
    problem = None
    if extra:
        problem = f"{path.name}: {size} bytes is not a whole number of {RECORD.size}-byte records (truncated)"
    return records, problem


class TdxSource:
    """The whole market of a session from a TDX install's day files."""

    name = "tdx"

    def __init__(self, root: Path, *, actions_on: ActionsOn | None = None) -> None:
        self.vipdoc = vipdoc_of(root)
        self.actions_on = actions_on
        self.files = sorted(p for m in MARKETS for p in (self.vipdoc / m / "lday").glob("*.day"))

    def sessions(self, start: date, end: date) -> list[date]:
        # the days the files hold: the SSE Composite's file is the calendar when present (every session)
        index = self.vipdoc / "sh" / "lday" / "sh000001.day"
        files = [index] if index.is_file() else self.files
        days: set[int] = set()
        lo, hi = _ymd(start), _ymd(end)
        for path in files:
            records, _ = read_records(path)
            inside = records["date"][(records["date"] >= lo) & (records["date"] <= hi)]
            days.update(int(d) for d in inside)
        return [_date(d) for d in sorted(days)]

    def fetch_day(self, day: date) -> DayBatch:
        want = _ymd(day)
        rows: list[dict[str, object]] = []
        problems: list[str] = []
        notes: list[str] = []
        known = self.actions_on(day) if self.actions_on is not None else []
        by_symbol: dict[str, list[CorporateAction]] = {}
        for action in known:
            by_symbol.setdefault(action.symbol, []).append(action)
        for path in self.files:
            records, problem = read_records(path, TAIL_RECORDS)
            if problem is not None:
                problems.append(problem)
            if len(records) == TAIL_RECORDS and records["date"][0] >= want:
                records, _ = read_records(path)  # an older day than the tail holds: read the whole file
            code = path.stem
            actions = by_symbol.get(f"{code[2:]}.{code[:2].upper()}", [])
            for at in np.flatnonzero(records["date"] == want):  # a day written twice gives two rows: the gate sees both
                rows.append(_row(code, records, int(at), actions))
        if not rows and not problems:
            raise DataError(f"no TDX day file under {self.vipdoc} has a record of {day}")
        notes.append("TDX day files hold no previous close: the previous record's close, ex-rights by known actions")
        frame = pd.DataFrame(rows, columns=["symbol", "name", "open", "high", "low", "close", "prev_close",
                                            "volume", "amount"])  # fmt: skip
        return DayBatch(day=day, bars=day_bars(frame, day), problems=problems, notes=notes)


def _row(code: str, records: np.ndarray, at: int, actions: list[CorporateAction]) -> dict[str, object]:
    # one record as a canonical row; the previous close from the record before it (NaN on the file's first)
    rec = records[at]
    prev = reference_close(Decimal(int(records["close"][at - 1])) / 100, actions) if at > 0 else float("nan")
    return {
        "symbol": code,
        "name": "",
        **{c: int(rec[c]) / 100 for c in ("open", "high", "low", "close")},
        "prev_close": prev,
        "volume": float(rec["volume"]),
        "amount": float(rec["amount"]),
    }


def _ymd(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _date(value: int) -> date:
    return date(value // 10000, value // 100 % 100, value % 100)
