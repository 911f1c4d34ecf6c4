"""Panels for the kernel tests: seeded random markets with breakouts, suspensions and ex-rights days,
and a few real stocks from the ganlei folder."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from alphamoe.market.bars import BarStore, Panel


def random_panel(rows: int = 160, cols: int = 40, seed: int = 7) -> Panel:
    """Random walks on the tick with volume spikes (so breakouts fire), suspensions and a 10-for-10 bonus."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.002, 0.025, (rows, cols))
    close = np.round(8.0 * np.exp(np.cumsum(steps, axis=0)) + rng.uniform(0, 30, cols), 2)
    suspended = rng.random((rows, cols)) < 0.02
    close[suspended] = np.nan
    prev = np.full_like(close, np.nan)
    last = close[0].copy()
    for t in range(rows):
        prev[t] = last
        last = np.where(np.isnan(close[t]), last, close[t])
    prev[0] = close[0]
    bonus_row = rows // 2  # column 1 halves: the exchange's prev_close halves too
    close[bonus_row:, 1] = np.round(close[bonus_row:, 1] / 2, 2)
    prev[bonus_row, 1] = np.round(prev[bonus_row, 1] / 2, 2)
    prev[bonus_row + 1 :, 1] = np.round(prev[bonus_row + 1 :, 1] / 2, 2)
    traded = ~np.isnan(close)
    open_ = np.where(traded, np.round(prev * (1 + rng.normal(0, 0.01, (rows, cols))), 2), np.nan)
    high = np.fmax(open_, close) + np.round(rng.uniform(0, 0.3, (rows, cols)), 2)
    low = np.fmin(open_, close) - np.round(rng.uniform(0, 0.3, (rows, cols)), 2)
    volume = np.where(
        traded, rng.uniform(2e6, 6e6, (rows, cols)) * np.where(rng.random((rows, cols)) < 0.1, 3, 1), np.nan
    )
    listing = np.where(traded, 300 + np.cumsum(traded, axis=0), -1).astype(np.int32)
    symbols = tuple(f"{600000 + i:06d}.SH" if i % 3 else f"{300000 + i:06d}.SZ" for i in range(cols))
    return Panel(
        dates=np.busday_offset(np.datetime64("2024-01-02"), np.arange(rows), roll="forward"),
        symbols=symbols,
        open=open_,
        high=np.where(traded, high, np.nan),
        low=np.where(traded, low, np.nan),
        close=close,
        prev_close=np.where(traded, prev, np.nan),
        volume=volume,
        amount=volume * close,
        st=np.zeros((rows, cols), dtype=bool),
        listing_index=listing,
    )


REAL_SYMBOLS_PER_BOARD = 2


def real_panel(real_daily: object, out: Path) -> Panel:
    """A few real stocks per exchange prefix over their whole history, through a bar store (as the scan reads)."""
    bars = real_daily.bars  # type: ignore[attr-defined]
    instruments = real_daily.instruments  # type: ignore[attr-defined]
    chosen = []
    for suffix in (".SH", ".SZ", ".BJ"):
        symbols = sorted(s for s in bars["symbol"].unique() if s.endswith(suffix))
        chosen += symbols[:REAL_SYMBOLS_PER_BOARD]
    store = BarStore.write(
        out,
        bars[bars["symbol"].isin(chosen)],
        instruments[instruments["symbol"].isin(chosen)],
        {"source": "test"},
    )
    last = store.sessions()[-1]
    return store.panel(until=last, lookback=1500 if last > date(2020, 1, 1) else 750)
