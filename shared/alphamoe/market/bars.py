"""Point-in-time daily bars: Parquet on local disk, read as wide NumPy panels.

Layout under a data root:
  bars/<YYYY>.parquet   long format, sorted by (date, symbol): the columns of BAR_COLUMNS
  instruments.parquet   symbol, name, board, industry (null when the source has none), list_date,
                        delist_date (the last session traded; null while listed)
  meta.json             where the data came from (generator and seed, or importer and path)

Reading is point in time by construction: `panel(until=D)` and `day(D)` never return a bar dated after D.
Prices are raw (unadjusted) CNY as the exchange printed them; `prev_close` is the exchange's ex-rights
previous close, so limits and fills use raw prices and factors use `Panel.adjusted_close()`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alphamoe.errors import DataError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int32]

PRICE_COLUMNS = ("open", "high", "low", "close", "prev_close")
BAR_COLUMNS = (
    "date",  # date32: the session
    "symbol",  # canonical, e.g. 600000.SH
    "name",  # the name printed that day (carries ST/*ST/N/XD prefixes on real data)
    *PRICE_COLUMNS,  # float64 CNY, raw
    "volume",  # float64 shares
    "amount",  # float64 CNY
    "st",  # bool: risk warning (ST or *ST) that day
    "listing_index",  # int32: the stock's own trading-day count since listing, 0 = listing day
)
BAR_SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("symbol", pa.string()),
        ("name", pa.string()),
        *[(c, pa.float64()) for c in PRICE_COLUMNS],
        ("volume", pa.float64()),
        ("amount", pa.float64()),
        ("st", pa.bool_()),
        ("listing_index", pa.int32()),
    ]
)
INSTRUMENT_SCHEMA = pa.schema(
    [
        ("symbol", pa.string()),
        ("name", pa.string()),
        ("board", pa.string()),
        ("industry", pa.string()),
        ("list_date", pa.date32()),
        ("delist_date", pa.date32()),
    ]
)


@dataclass(frozen=True)
class Panel:
    """Wide (dates × symbols) arrays of raw daily bars; NaN, False or -1 where a stock had no bar."""

    dates: npt.NDArray[np.datetime64]
    symbols: tuple[str, ...]
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    prev_close: FloatArray
    volume: FloatArray
    amount: FloatArray
    st: BoolArray
    listing_index: IntArray

    @property
    def last_day(self) -> date:
        return pd.Timestamp(self.dates[-1]).date()

    @property
    def traded(self) -> BoolArray:
        """True where the stock has a bar (listed and not suspended)."""
        return self.listing_index >= 0

    def column(self, symbol: str) -> int:
        return self.symbols.index(symbol)

    def adjustment_factor(self) -> FloatArray:
        """Return the forward (后复权) factor within the panel: f_t = f_{t-1} · close_{t-1} / prev_close_t.

        It starts at 1 on each stock's first bar in the panel and uses only past bars, so adjusted
        prices are point in time. Suspended days carry the factor forward.
        """
        ratio = np.ones_like(self.close)
        last_close = _ffill(self.close)
        prev_last = np.vstack([np.full((1, self.close.shape[1]), np.nan), last_close[:-1]])
        with np.errstate(invalid="ignore", divide="ignore"):
            step = prev_last / self.prev_close
        valid = np.isfinite(step) & self.traded
        ratio[valid] = step[valid]
        factor: FloatArray = np.cumprod(ratio, axis=0, dtype=np.float64)
        return factor

    def adjusted(self, prices: FloatArray) -> FloatArray:
        return prices * self.adjustment_factor()


def _ffill(values: FloatArray) -> FloatArray:
    out = values.copy()
    mask = np.isnan(out)
    idx = np.where(~mask, np.arange(out.shape[0])[:, None], 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    out = out[idx, np.arange(out.shape[1])[None, :]]
    return out


@dataclass(frozen=True)
class DayBar:
    """One stock's bar on one day (raw prices), for fills and checks."""

    day: date
    symbol: str
    name: str
    open: float
    high: float
    low: float
    close: float
    prev_close: float
    volume: float
    amount: float
    st: bool
    listing_index: int


class BarStore:
    """Parquet bar store rooted at a directory; every read is bounded by a date."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if not (self.root / "bars").is_dir():
            raise DataError(
                f"no bar store at {self.root} (expected {self.root / 'bars'}/<year>.parquet); "
                "create one with `alphamoe data generate` or `alphamoe data import`"
            )
        self._years = sorted(int(p.stem) for p in (self.root / "bars").glob("*.parquet") if p.stem.isdigit())
        if not self._years:
            raise DataError(f"bar store {self.root} holds no bars/<year>.parquet files")
        self._sessions: list[date] | None = None

    # -- writing -----------------------------------------------------------------------------------
    @staticmethod
    def write(root: Path, bars: pd.DataFrame, instruments: pd.DataFrame, meta: dict[str, Any]) -> BarStore:
        """Write a long bar frame and the instrument table as a new store (replacing year files)."""
        missing = [c for c in BAR_COLUMNS if c not in bars.columns]
        if missing:
            raise DataError(f"bar frame lacks columns {missing}")
        root = Path(root)
        (root / "bars").mkdir(parents=True, exist_ok=True)
        frame = bars.loc[:, list(BAR_COLUMNS)].sort_values(["date", "symbol"], kind="stable")
        years = pd.to_datetime(frame["date"]).dt.year
        for year, part in frame.groupby(years, sort=True):
            table = pa.Table.from_pandas(part, schema=BAR_SCHEMA, preserve_index=False)
            pq.write_table(table, root / "bars" / f"{year}.parquet", compression="zstd")
        # `industry` is optional (real-data importers may have none): written as null when absent.
        inst = pa.Table.from_pandas(
            instruments.reindex(columns=[f.name for f in INSTRUMENT_SCHEMA]),
            schema=INSTRUMENT_SCHEMA,
            preserve_index=False,
        )
        pq.write_table(inst, root / "instruments.parquet")
        (root / "meta.json").write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
        return BarStore(root)

    # -- reading -----------------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        path = self.root / "meta.json"
        return dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else {}

    def instruments(self) -> pd.DataFrame:
        frame: pd.DataFrame = pq.read_table(self.root / "instruments.parquet").to_pandas()
        return frame

    def sessions(self) -> list[date]:
        """Return every date that has at least one bar, ascending."""
        if self._sessions is None:
            days: set[date] = set()
            for year in self._years:
                col = pq.read_table(self._path(year), columns=["date"]).column("date")
                days.update(pc_unique(col))
            self._sessions = sorted(days)
        return self._sessions

    def _path(self, year: int) -> Path:
        return self.root / "bars" / f"{year}.parquet"

    def _read(self, years: Iterable[int], start: date, until: date, columns: list[str] | None) -> pd.DataFrame:
        parts = [
            pq.read_table(
                self._path(y), columns=columns, filters=[("date", ">=", start), ("date", "<=", until)]
            ).to_pandas()
            for y in years
            if y in self._years
        ]
        parts = [p for p in parts if len(p)]
        if not parts:
            return pd.DataFrame(columns=columns or list(BAR_COLUMNS))
        frame: pd.DataFrame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        return frame

    def panel(self, until: date, lookback: int) -> Panel:
        """Return the last `lookback` sessions on or before `until` as a wide panel.

        Never includes a bar dated after `until`: the point-in-time boundary of every decision.
        """
        days = [d for d in self.sessions() if d <= until][-lookback:]
        if not days:
            raise DataError(f"bar store {self.root} has no bars on or before {until}")
        frame = self._read(range(days[0].year, until.year + 1), days[0], until, None)
        return _pivot(frame, np.array(days, dtype="datetime64[D]"))

    def day(self, day: date) -> dict[str, DayBar]:
        """Return the bars of exactly `day`, by symbol (empty when nothing traded)."""
        frame = self._read([day.year], day, day, None)
        cols = {c: frame[c].to_numpy() for c in BAR_COLUMNS}
        return {
            str(cols["symbol"][i]): DayBar(
                day=day,
                symbol=str(cols["symbol"][i]),
                name=str(cols["name"][i]),
                open=float(cols["open"][i]),
                high=float(cols["high"][i]),
                low=float(cols["low"][i]),
                close=float(cols["close"][i]),
                prev_close=float(cols["prev_close"][i]),
                volume=float(cols["volume"][i]),
                amount=float(cols["amount"][i]),
                st=bool(cols["st"][i]),
                listing_index=int(cols["listing_index"][i]),
            )
            for i in range(len(frame))
        }


def pc_unique(col: pa.ChunkedArray) -> list[date]:
    import pyarrow.compute as pc

    return [d for d in pc.unique(col).to_pylist() if d is not None]


def _pivot(frame: pd.DataFrame, dates: npt.NDArray[np.datetime64]) -> Panel:
    # factorize, then place the few distinct values: converting millions of date objects one by one
    # (or searchsorted over Python strings) costs seconds per panel.
    day_codes, day_values = pd.factorize(frame["date"])
    day_rows = np.searchsorted(dates, np.array([np.datetime64(d, "D") for d in day_values], dtype="datetime64[D]"))
    rows = day_rows[day_codes] if len(day_codes) else np.zeros(0, dtype=np.int64)
    cols, symbol_values = pd.factorize(frame["symbol"], sort=True)
    symbols = np.array([str(s) for s in symbol_values], dtype=object)
    shape = (len(dates), len(symbols))

    def wide(name: str) -> FloatArray:
        out = np.full(shape, np.nan)
        out[rows, cols] = frame[name].to_numpy(dtype=np.float64)
        return out

    st = np.zeros(shape, dtype=bool)
    st[rows, cols] = frame["st"].to_numpy(dtype=bool)
    listing = np.full(shape, -1, dtype=np.int32)
    listing[rows, cols] = frame["listing_index"].to_numpy(dtype=np.int32)
    return Panel(
        dates=dates,
        symbols=tuple(str(s) for s in symbols),
        open=wide("open"),
        high=wide("high"),
        low=wide("low"),
        close=wide("close"),
        prev_close=wide("prev_close"),
        volume=wide("volume"),
        amount=wide("amount"),
        st=st,
        listing_index=listing,
    )
