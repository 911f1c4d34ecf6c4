"""A hand-made day of bars every broker test shares: the paper broker matches against it, the simulated
counters quote its opens."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from alphamoe.market.bars import BarStore

PREV = date(2024, 3, 4)
DAY = date(2024, 3, 5)

# symbol: (open, high, low, close, prev_close, volume) on DAY
BARS = {
    "600000.SH": (10.10, 10.50, 9.80, 10.20, 10.00, 1_000_000),
    "600001.SH": (11.00, 11.00, 11.00, 11.00, 10.00, 50_000),  # sealed at limit-up all day
    "600002.SH": (9.00, 9.00, 9.00, 9.00, 10.00, 50_000),  # sealed at limit-down all day
    "600003.SH": (10.00, 10.30, 9.90, 10.10, 10.00, 1_250),  # thin: 10% of volume is 125 shares
    "688001.SH": (30.00, 30.50, 29.50, 30.20, 30.00, 2_500),  # thin STAR: cap 250 shares
}
SUSPENDED = "600009.SH"  # a bar on PREV only


def build_store(root: Path) -> BarStore:
    """Write the day's bars (and one suspended stock's bar of the day before) as a bar store under root."""
    rows = [
        dict(zip(("open", "high", "low", "close", "prev_close", "volume"), values, strict=True), date=DAY, symbol=s)
        for s, values in BARS.items()
    ]
    rows.append(
        {"date": PREV, "symbol": SUSPENDED, "open": 5, "high": 5, "low": 5, "close": 5, "prev_close": 5, "volume": 1e5}
    )
    bars = pd.DataFrame(rows)
    bars["name"] = bars["symbol"]
    bars["amount"] = bars["close"] * bars["volume"]
    bars["st"] = False
    bars["listing_index"] = 100
    symbols = sorted(bars["symbol"].unique())
    instruments = pd.DataFrame(
        {
            "symbol": symbols,
            "name": symbols,
            "board": ["star" if s.startswith("688") else "main" for s in symbols],
            "list_date": date(2020, 1, 2),
            "delist_date": None,
        }
    )
    return BarStore.write(root, bars, instruments, {"source": "test"})


def opens() -> dict[str, Decimal]:
    """The day's opens: where the simulated counters fill a marketable order, as the paper broker does."""
    return {symbol: Decimal(str(values[0])).quantize(Decimal("0.01")) for symbol, values in BARS.items()}
