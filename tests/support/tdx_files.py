"""Write 通达信 (TDX) day files in the real record layout, from store bars, for the TDX source's tests.

Each record is packed with `struct` field by field (`<IIIIIfII`: YYYYMMDD, open/high/low/close × 100,
amount as float32 CNY, volume in shares, reserved), independently of the reader's NumPy dtype.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pandas as pd

RECORD = "<IIIIIfII"


def day_file_name(symbol: str) -> str:
    """Return the TDX file of a symbol: 600000.SH → sh/lday/sh600000.day."""
    code, market = symbol.split(".")
    return f"{market.lower()}/lday/{market.lower()}{code}.day"


def write_day_file(path: Path, bars: pd.DataFrame) -> None:
    """Write one stock's bars (date, open, high, low, close, amount, volume) as a .day file, oldest first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = bytearray()
    rows = bars.sort_values("date")
    days = [int(d.strftime("%Y%m%d")) for d in pd.to_datetime(rows["date"])]
    prices = rows[["open", "high", "low", "close"]].to_numpy(dtype=float).tolist()
    amounts = rows["amount"].to_numpy(dtype=float).tolist()
    volumes = rows["volume"].to_numpy(dtype=float).tolist()
    for day, ohlc, amount, volume in zip(days, prices, amounts, volumes, strict=True):
        out += struct.pack(RECORD, day, *(round(p * 100) for p in ohlc), amount, int(volume), 0)
    path.write_bytes(bytes(out))


def write_vipdoc(root: Path, bars: pd.DataFrame) -> Path:
    """Write every stock of `bars` under root/vipdoc/{sh,sz,bj}/lday/ and return the vipdoc folder."""
    vipdoc = root / "vipdoc"
    for symbol, part in bars.groupby("symbol", sort=True):
        write_day_file(vipdoc / day_file_name(str(symbol)), part)
    return vipdoc
