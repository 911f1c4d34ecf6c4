"""The backtest's universe and date range: resolve them against a bar store, with errors that list what is valid."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from pathlib import Path

import numpy as np

from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore, Panel
from alphamoe.market.boards import normalize_symbol


def parse_universe(text: str | None) -> tuple[str, ...] | None:
    """Return the symbols of `--universe`: comma-separated codes, or a file with codes by line or comma."""
    if text is None or not text.strip():
        return None
    path = Path(text)
    raw = path.read_text(encoding="utf-8") if path.is_file() else text
    items = [s.strip() for line in raw.splitlines() for s in line.split(",")]
    return tuple(dict.fromkeys(normalize_symbol(s) for s in items if s and not s.startswith("#")))


def load_range(store: BarStore, start: date, end: date, warmup: int) -> tuple[Panel, int]:
    """Return the panel of sessions [start, end] plus `warmup` sessions before, and the row of `start`.

    Column-major (each stock's history contiguous): the layout the strategy kernels walk, so they copy
    nothing (`kernels.kernel_inputs`); `backtest.market` keeps the row-major arrays the session loop reads.
    """
    if start > end:
        raise DataError(f"--start {start} is after --end {end}")
    sessions = store.sessions()
    first, last = bisect_left(sessions, start), bisect_left(sessions, end + _ONE_DAY)
    if first >= last:
        raise DataError(
            f"no sessions between {start} and {end} in the bar store at {store.root}; "
            f"it holds {sessions[0]} … {sessions[-1]} ({len(sessions)} sessions)"
        )
    lead = min(warmup, first)
    panel = store.panel(until=sessions[last - 1], lookback=last - first + lead, order="F")
    return panel, lead


def restrict(panel: Panel, symbols: Sequence[str]) -> Panel:
    """Return the panel's columns for `symbols` (in panel order); unknown symbols raise with the valid ones."""
    known = set(panel.symbols)
    unknown = [s for s in symbols if s not in known]
    if unknown:
        sample = ", ".join(panel.symbols[:12])
        raise DataError(
            f"--universe names {len(unknown)} symbol(s) with no bars in the range: {', '.join(unknown[:20])}; "
            f"the store has {len(panel.symbols)} symbols there, e.g. {sample}"
        )
    wanted = set(symbols)
    cols = np.array([i for i, s in enumerate(panel.symbols) if s in wanted], dtype=np.int64)
    values = {f.name: getattr(panel, f.name)[:, cols] for f in fields(panel) if f.name not in ("dates", "symbols")}
    return Panel(dates=panel.dates, symbols=tuple(panel.symbols[i] for i in cols), **values)


_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)
