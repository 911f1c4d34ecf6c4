"""The scan's read of a bar store: D−1's panel (column-major) and D's pre-open reference.

A thin use of `BarStore`: `panel(until=D−1, lookback, order="F")` (the kernels walk each stock's history,
so the panel is built column-major at no extra cost) and `pre_open_reference(store, D)`, with the scan's
own errors for a day that is not a session or has no history. Point in time as the store: the panel holds
no bar after D−1, and of D's bars only the pre-open facts (prev_close, ST, listing day) are read.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from alphamoe.errors import DataError, NoTradingDayError
from alphamoe.market.bars import BarStore, Panel
from alphamoe.market.reference import ReferenceData, pre_open_reference


@dataclass(frozen=True)
class ScanInputs:
    """What one day's scan reads: the panel up to D−1 and D's pre-open reference."""

    day: date
    panel: Panel
    reference: dict[str, ReferenceData]


def load_scan_inputs(root: Path | str | BarStore, day: date, lookback: int) -> ScanInputs:
    """Return the panel of the last `lookback` sessions before `day` and `day`'s pre-open reference.

    `root` is a bar store, or where one lies (a folder or `s3://bucket/prefix`).
    """
    if lookback < 1:
        raise DataError(f"lookback must be >= 1 session, was {lookback}")
    store = root if isinstance(root, BarStore) else BarStore(root)
    sessions = store.sessions()
    at = bisect_left(sessions, day)
    if at == len(sessions) or sessions[at] != day:
        hint = f"; the next session with bars is {sessions[at]}" if at < len(sessions) else ""
        raise NoTradingDayError(
            f"the bar store at {store.root} has no bars on {day.isoformat()} "
            f"(it covers {sessions[0]} … {sessions[-1]}){hint}"
        )
    if at == 0:
        raise DataError(f"no history before {day.isoformat()} in {store.root}: nothing to scan")
    panel = store.panel(until=sessions[at - 1], lookback=lookback, order="F")
    return ScanInputs(day=day, panel=panel, reference=pre_open_reference(store, day))
