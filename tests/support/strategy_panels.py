"""Panels for the kernel tests: seeded random markets with breakouts, suspensions and ex-rights days,
and a few real stocks from the ganlei folder."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from alphamoe.market.bars import BarStore, FloatArray, Panel


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
    return _bars(rng, close, prev)


def action_panel(rows: int = 300, cols: int = 24, seed: int = 0, missing_open: float = 0.01) -> Panel:
    """Random walks with many ex-rights days (bonus shares and dividends, some while suspended), runs of
    suspensions and missing opens on traded days: Kelly windows that start mid-position, meet a factor
    change before or after their rules can fire, and hold a position across one."""
    rng = np.random.default_rng(seed)
    adjusted = np.exp(np.cumsum(rng.normal(0.003, 0.03, (rows, cols)), axis=0)) * rng.uniform(5, 40, cols)
    step = np.where(rng.random((rows, cols)) < 1 / 25, rng.choice([0.5, 0.8, 0.9, 0.98], (rows, cols)), 1.0)
    step[0] = 1.0
    scale = np.cumprod(step, axis=0)  # ex-rights: the raw price from that day on is the adjusted one times it
    close = np.round(adjusted * scale, 2)
    suspended = np.zeros((rows, cols), dtype=bool)
    for t, i in zip(*np.nonzero(rng.random((rows, cols)) < 0.02), strict=True):
        suspended[t : t + rng.integers(1, 12), i] = True
    close[suspended] = np.nan
    prev = np.full_like(close, np.nan)
    prev[0] = close[0]
    last, last_scale = close[0].copy(), scale[0].copy()
    for t in range(1, rows):  # the exchange's prev_close: the last close, ex-rights since then
        prev[t] = np.round(last * scale[t] / last_scale, 2)
        seen = ~np.isnan(close[t])
        last, last_scale = np.where(seen, close[t], last), np.where(seen, scale[t], last_scale)
    return _bars(rng, close, prev, missing_open=missing_open)


def _bars(rng: np.random.Generator, close: FloatArray, prev: FloatArray, missing_open: float = 0.0) -> Panel:
    # the rest of a random panel's bars around its closes: opens near prev_close (a share missing on traded
    # days), highs and lows around them, volume with spikes (so breakouts fire)
    rows, cols = close.shape
    traded = ~np.isnan(close)
    open_ = np.where(traded, np.round(prev * (1 + rng.normal(0, 0.01, (rows, cols))), 2), np.nan)
    high = np.fmax(open_, close) + np.round(rng.uniform(0, 0.3, (rows, cols)), 2)
    low = np.fmin(open_, close) - np.round(rng.uniform(0, 0.3, (rows, cols)), 2)
    volume = np.where(
        traded, rng.uniform(2e6, 6e6, (rows, cols)) * np.where(rng.random((rows, cols)) < 0.1, 3, 1), np.nan
    )
    listing = np.where(traded, 300 + np.cumsum(traded, axis=0), -1).astype(np.int32)
    symbols = tuple(f"{600000 + i:06d}.SH" if i % 3 else f"{300000 + i:06d}.SZ" for i in range(cols))
    if missing_open > 0:
        open_[rng.random((rows, cols)) < missing_open] = np.nan
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
