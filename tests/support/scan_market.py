"""A hand-built market for scan tests: seeded random walks with planted breakouts, as a wide Panel.

No dependency on alphamoe.data: every bar here is made on purpose, so each test knows what it expects.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from alphamoe.market.bars import Panel
from alphamoe.market.limits import limit_prices
from alphamoe.market.reference import ReferenceData
from alphamoe.market.ticks import to_price
from alphamoe.scan.scanner import ScanResult, scan_day
from alphamoe.strategy.trend_breakout import TrendBreakout

N_DAYS = 300
SCAN_ROW = 280  # day D = dates[SCAN_ROW]; the scan sees rows < SCAN_ROW; 20 rows of "future" follow
SYMBOLS = (
    *[f"{600000 + 3 * k:06d}.SH" for k in range(16)],
    *[f"{k + 1:06d}.SZ" for k in range(12)],
    *[f"{300001 + k:06d}.SZ" for k in range(8)],
    *[f"{688001 + k:06d}.SH" for k in range(4)],
)
BREAKOUTS_AT_SCAN = ("600000.SH", "600009.SH", "000003.SZ", "300001.SZ", "688001.SH")  # on row SCAN_ROW - 1
ILLIQUID_BREAKOUT = "300002.SZ"  # the same breakout on D−1, but ~5 million CNY a day: fails the liquidity filter
EXIT_AT_SCAN = "000006.SZ"  # breaks out on row SCAN_ROW - 8, then drops below MA10 on D−1: its exit fires
EARLIER_BREAKOUT_ROWS = (60, 110, 160, 210, 250)  # planted on other stocks, to give the stats trades
SUSPENDED = "600012.SH"  # no bar on rows 270..284 (suspended over D−1 and D)
LATE_LISTING = "000010.SZ"  # listed on row 240: 40 sessions old on D
ST_STOCK = "600015.SH"  # under risk warning from row 200
EX_RIGHTS = "600018.SH"  # 10-for-10 bonus on row 150: raw prices halve, adjusted ones do not
_BAR_FIELDS = ("open", "high", "low", "close", "prev_close", "volume", "amount", "st", "listing_index")


def _round(x: np.ndarray) -> np.ndarray:
    return np.floor(x * 100 + 0.5) / 100


def make_market(seed: int = 7) -> Panel:
    """Return the 40-stock × 300-session panel described in the module constants."""
    rng = np.random.default_rng(seed)
    n = len(SYMBOLS)
    dates = np.busday_offset(np.datetime64("2023-01-02"), np.arange(N_DAYS), roll="forward").astype("datetime64[D]")
    band = np.array([0.2 if s.startswith(("300", "688")) else 0.1 for s in SYMBOLS])
    rets = rng.normal(0.0002, 0.017, size=(N_DAYS, n))
    start = _round(rng.uniform(6.0, 40.0, size=n))
    daily_amount = rng.uniform(4e7, 2e8, size=n)
    daily_amount[SYMBOLS.index(ILLIQUID_BREAKOUT)] = 5e6
    volume = daily_amount / start * rng.lognormal(0.0, 0.25, size=(N_DAYS, n))
    planted = (*BREAKOUTS_AT_SCAN, ILLIQUID_BREAKOUT, EXIT_AT_SCAN, SUSPENDED, LATE_LISTING, ST_STOCK)
    plants = [(SCAN_ROW - 1, SYMBOLS.index(s)) for s in (*BREAKOUTS_AT_SCAN, ILLIQUID_BREAKOUT)]
    plants.append((SCAN_ROW - 8, SYMBOLS.index(EXIT_AT_SCAN)))
    others = [i for i in range(n) if SYMBOLS[i] not in planted]
    plants += [(row, col) for row in EARLIER_BREAKOUT_ROWS for col in others[row % 7 :: 6]]
    for row, col in plants:  # a quiet climb, then a +6% close on triple volume above the prior high
        rets[row - 25 : row, col] = 0.004 + rng.normal(0.0, 0.003, size=25)
        rets[row, col] = 0.06
        volume[row, col] *= 3.0
    exit_col = SYMBOLS.index(EXIT_AT_SCAN)
    rets[SCAN_ROW - 7 : SCAN_ROW - 1, exit_col] = 0.002
    rets[SCAN_ROW - 1, exit_col] = -0.07
    rets = np.clip(rets, -band + 0.01, band - 0.01)

    close = np.empty((N_DAYS, n))
    prev_close = np.empty((N_DAYS, n))
    last = start
    ex = SYMBOLS.index(EX_RIGHTS)
    for t in range(N_DAYS):
        prev = last.copy()
        if t == 150:
            prev[ex] = _round(np.array([prev[ex] / 2]))[0]  # the exchange's ex-rights previous close
        prev_close[t] = prev
        close[t] = _round(prev * (1 + rets[t]))
        last = close[t]
    gap = np.clip(rng.normal(0.0, 0.006, size=(N_DAYS, n)), -band + 0.01, band - 0.01)
    open_ = _round(prev_close * (1 + gap))
    up, down = _round(prev_close * (1 + band)), _round(prev_close * (1 - band))
    high = np.minimum(_round(np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.006, (N_DAYS, n))))), up)
    low = np.maximum(_round(np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.006, (N_DAYS, n))))), down)
    volume = np.round(volume, -2)
    amount = volume * (open_ + high + low + close) / 4

    traded = np.ones((N_DAYS, n), dtype=bool)
    traded[270:285, SYMBOLS.index(SUSPENDED)] = False
    traded[:240, SYMBOLS.index(LATE_LISTING)] = False
    listing = np.where(traded, np.cumsum(traded, axis=0) - 1, -1).astype(np.int32)
    listing[:, [i for i in range(n) if SYMBOLS[i] != LATE_LISTING]] += 500
    listing[~traded] = -1
    st = np.zeros((N_DAYS, n), dtype=bool)
    st[200:, SYMBOLS.index(ST_STOCK)] = True

    def bars(values: np.ndarray) -> np.ndarray:
        return np.where(traded, values, np.nan)

    return Panel(
        dates=dates,
        symbols=SYMBOLS,
        open=bars(open_),
        high=bars(high),
        low=bars(low),
        close=bars(close),
        prev_close=bars(prev_close),
        volume=bars(volume),
        amount=bars(amount),
        st=st & traded,
        listing_index=listing,
    )


def permute_columns(panel: Panel, order: list[int]) -> Panel:
    """Return the same market with its stock columns in another order."""
    symbols = tuple(panel.symbols[i] for i in order)
    return dataclasses.replace(panel, symbols=symbols, **{f: getattr(panel, f)[:, order] for f in _BAR_FIELDS})


def with_bar(panel: Panel, row: int, symbol: str, **values: float) -> Panel:
    """Return a copy of the panel with some fields of one bar replaced."""
    col = panel.symbols.index(symbol)
    changes = {}
    for name, value in values.items():
        array = getattr(panel, name).copy()
        array[row, col] = value
        changes[name] = array
    return dataclasses.replace(panel, **changes)


def day_of(panel: Panel, row: int) -> date:
    return pd.Timestamp(panel.dates[row]).date()


def reference_at(panel: Panel, row: int) -> dict[str, ReferenceData]:
    """Return the pre-open reference of session `row` for every stock trading that day."""
    day = day_of(panel, row)
    out = {}
    for i, symbol in enumerate(panel.symbols):
        if panel.listing_index[row, i] < 0:
            continue
        prev_close = to_price(float(panel.prev_close[row, i]))
        st, listing = bool(panel.st[row, i]), int(panel.listing_index[row, i])
        out[symbol] = ReferenceData(
            symbol=symbol,
            day=day,
            prev_close=prev_close,
            st=st,
            listing_index=listing,
            band=limit_prices(symbol, prev_close, day, st=st, listing_day_index=listing),
        )
    return out


@dataclass(frozen=True)
class ScanInputs:
    market: Panel  # all 300 sessions, "future" included
    panel: Panel  # sessions up to D−1: what the scan may see
    day: date  # D
    reference: dict[str, ReferenceData]  # D's pre-open facts

    def scan(self, **changes: object) -> ScanResult:
        args: dict[str, object] = {"panel": self.panel, "day": self.day, "reference": self.reference}
        args.update(changes)
        return scan_day(strategy=TrendBreakout(), **args)  # type: ignore[arg-type]
