"""The curve a backtest is compared with: CSI300 from an index CSV folder, else the universe's average stock."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from alphamoe.errors import DataError
from alphamoe.market.bars import Panel

CSI300_FILE = "sh000300.csv"


def index_curve(path: Path, start: date, end: date) -> pd.Series:
    """Return the index close over [start, end] from a CSV (`date,…,close,…`) or a folder holding sh000300.csv."""
    file = path / CSI300_FILE if path.is_dir() else path
    if not file.is_file():
        raise DataError(f"no index file at {file} (expected a CSV with date and close columns, e.g. {CSI300_FILE})")
    frame = pd.read_csv(file, usecols=["date", "close"], parse_dates=["date"])
    series = frame.set_index("date")["close"].astype(float).sort_index()
    series = series[(series.index >= pd.Timestamp(start)) & (series.index <= pd.Timestamp(end))]
    if series.empty:
        raise DataError(f"index file {file} has no closes between {start} and {end}")
    series.name = file.stem
    return series


def universe_average(panel: Panel, first_row: int) -> pd.Series:
    """Return the equal-weight average stock from `first_row`: mean adjusted daily return of the stocks trading.

    A stock's return on a day is its adjusted close over its last adjusted close before (across suspensions).
    """
    close = pd.DataFrame(panel.adjusted(panel.close)).ffill().to_numpy()
    previous = np.vstack([np.full((1, close.shape[1]), np.nan), close[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.where(panel.traded, close / previous - 1.0, np.nan)[first_row:]
    counts = np.isfinite(change).sum(axis=1)
    mean = np.where(counts > 0, np.nansum(change, axis=1) / np.maximum(counts, 1), 0.0)
    return pd.Series(np.cumprod(1.0 + mean), index=pd.DatetimeIndex(panel.dates[first_row:]), name="universe average")
