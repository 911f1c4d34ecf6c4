"""Point-in-time daily bars: Parquet in a local folder or on S3/OSS, read as wide NumPy panels.

Layout under a data root (a folder or `s3://bucket/prefix`, through `alphamoe.storage`):
  bars/<YYYY>.parquet   long format, sorted by (date, symbol): the columns of BAR_COLUMNS; row groups of
                        whole sessions (~32k rows) with date statistics, so a day's read fetches one group
  sessions.parquet      every session with a bar (one small read instead of scanning every year)
  instruments.parquet   symbol, name, board, industry (null when the source has none), list_date,
                        delist_date (the last session traded; null while listed)
  corporate_actions.parquet  dividends, bonus/capitalisation shares and rights issues (`data.actions.store`)
  meta.json             where the data came from (generator and seed, or importer and path); written last

Reading is point in time by construction: `panel(until=D)` and `day(D)` never return a bar dated after D.
Prices are raw (unadjusted) CNY as the exchange printed them; `prev_close` is the exchange's ex-rights
previous close, so limits and fills use raw prices and factors use `Panel.adjusted_close()`.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from alphamoe.data.actions.model import CorporateAction
from alphamoe.data.actions.store import ActionBook, read_actions
from alphamoe.errors import DataError
from alphamoe.storage import ObjectNotFoundError, ObjectStore, S3Location, S3Settings, open_store, parse_location

if TYPE_CHECKING:
    import pandas as pd  # frames are built by pyarrow's to_pandas: a backtest never imports pandas

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
SESSION_SCHEMA = pa.schema([("date", pa.date32())])
ROW_GROUP_ROWS = 32_768  # rows per row group, rounded to whole sessions: a day's read fetches one group
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

    @cached_property
    def days(self) -> list[date]:
        """The panel's sessions as dates, row by row (numpy's own conversion: no pandas on a backtest's path)."""
        days: list[date] = self.dates.astype("datetime64[D]").tolist()
        return days

    def day(self, row: int) -> date:
        return self.days[row]

    @property
    def last_day(self) -> date:
        return self.days[-1]

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
    """Parquet bar store rooted at a folder or an S3 location; every read is bounded by a date.

    `BarStore(Path)`, `BarStore("s3://bucket/prefix")` or `BarStore(object_store)`: the same API on each.
    S3 reads fetch the Parquet footer once, then only the row groups and columns a read needs.
    """

    def __init__(self, root: Path | str | S3Location | ObjectStore, *, s3: S3Settings | None = None) -> None:
        self.objects = open_store(root, s3=s3)
        local = self.objects.local_path("meta.json")
        self.root: Path | str = local.parent if local is not None else self.objects.url
        self._years = sorted(int(k[5:-8]) for k in self.objects.list("bars/") if _is_year_key(k))
        if not self._years:
            if local is not None and not (local.parent / "bars").is_dir():
                raise DataError(
                    f"no bar store at {self.root} (expected {local.parent / 'bars'}/<year>.parquet); "
                    "create one with `alphamoe data generate` or `alphamoe data import`"
                )
            raise DataError(
                f"bar store {self.root} holds no bars/<year>.parquet files; "
                "create one with `alphamoe data generate --out …` or `alphamoe data import --out …`"
            )
        self._sessions: list[date] | None = None
        self._actions: ActionBook | None = None
        self._files: dict[int, pq.ParquetFile] = {}
        self._remote: dict[int, _RangeFile] = {}
        self._lock = threading.Lock()
        self._marker: bytes | object | None = _UNREAD  # meta.json as last seen by `refresh`

    # -- writing -----------------------------------------------------------------------------------
    @staticmethod
    def write(
        root: Path | str | S3Location | ObjectStore,
        bars: pd.DataFrame,
        instruments: pd.DataFrame,
        meta: dict[str, Any],
        *,
        s3: S3Settings | None = None,
        replace: bool = False,
    ) -> BarStore:
        """Write a long bar frame and the instrument table as the whole store (`data.store_write.write_store`).

        Into an existing store it refuses (DestructiveWriteError, naming what would go) when the store holds
        years, days or stocks' bars that `bars` lacks, unless `replace=True`, which removes them after a backup.
        Year files, instruments, then sessions.parquet (the commit point), meta.json last.
        """
        from alphamoe.data.store_write import write_store  # the write path lives with the other store writes

        objects = open_store(root, s3=s3)
        write_store(objects, bars, instruments, meta, replace=replace)
        return BarStore(objects)

    # -- reading -----------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Forget what this reader cached if the store was written since; True when later reads may differ.

        A long-running process (a function, the clock) keeps one reader, which caches the session list, the
        year files' footers and the actions: it would never see a day the evening update adds. Every write
        (`data.store_write`) ends with meta.json, whose `generation` it raises, so one small read tells; the
        first call, with nothing seen yet, forgets whatever was cached.
        """
        try:
            marker: bytes | None = self.objects.get_bytes("meta.json")
        except ObjectNotFoundError:
            marker = None
        if marker == self._marker:
            return False
        with self._lock:
            self._marker = marker
            self._years = sorted(int(k[5:-8]) for k in self.objects.list("bars/") if _is_year_key(k))
            self._sessions, self._actions = None, None
            self._files.clear()
            self._remote.clear()
        return True

    @property
    def years(self) -> list[int]:
        return list(self._years)

    def meta(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.objects.get_bytes("meta.json")))
        except ObjectNotFoundError:
            return {}

    def instruments(self) -> pd.DataFrame:
        frame: pd.DataFrame = _read_table(self.objects, "instruments.parquet").to_pandas()
        return frame

    def industries(self) -> dict[str, str]:
        """Return each stock's industry from the instrument table (stocks without one are left out)."""
        table = _read_table(self.objects, "instruments.parquet").select(["symbol", "industry"])
        pairs = zip(table.column("symbol").to_pylist(), table.column("industry").to_pylist(), strict=True)
        return {str(s): i for s, i in pairs if isinstance(i, str)}

    def sessions(self) -> list[date]:
        """Return every date that has at least one bar, ascending."""
        if self._sessions is None:
            if self.objects.exists("sessions.parquet"):
                days = _read_table(self.objects, "sessions.parquet").column("date").to_pylist()
                self._sessions = sorted(d for d in days if d is not None)
            else:  # stores written before sessions.parquet: collect the date column of every year
                found: set[date] = set()
                for year in self._years:
                    found.update(pc_unique(self._file(year).read(columns=["date"]).column("date")))
                self._sessions = sorted(found)
        return self._sessions

    def actions(self) -> ActionBook:
        """Return the stored corporate actions (none when the store has no actions file), read once."""
        if self._actions is None:
            self._actions = ActionBook(read_actions(self.objects))
        return self._actions

    def actions_on(self, day: date) -> list[CorporateAction]:
        """Return the corporate actions whose ex date is `day`: what an account applies before that open."""
        return self.actions().on(day)

    def actions_between(self, start: date, end: date, *, known_on: date | None = None) -> list[CorporateAction]:
        """Return the actions with ex dates start … end; with `known_on`, only those announced by that day.

        The ex date decides when an action applies; the announcement decides when a decision may know of it.
        """
        return self.actions().between(start, end, known_on=known_on)

    def _file(self, year: int) -> pq.ParquetFile:
        # one ParquetFile per year and store: its footer is read once (one ranged GET on S3)
        with self._lock:
            if year not in self._files:
                key = f"bars/{year}.parquet"
                path = self.objects.local_path(key)
                source: Any = str(path) if path is not None else _RangeFile(self.objects, key)
                if isinstance(source, _RangeFile):
                    self._remote[year] = source
                # symbol as dictionary: ~5k distinct codes, not a Python string per bar (decoded for frames)
                self._files[year] = pq.ParquetFile(
                    source, pre_buffer=path is None, memory_map=path is not None, read_dictionary=["symbol"]
                )
            return self._files[year]

    def _read_groups(self, years: Iterable[int], start: date, until: date, columns: list[str]) -> pa.Table:
        # the row groups whose date statistics overlap start … until, unfiltered, in file order: callers
        # mask by date in NumPy (pyarrow's row filter costs more than it saves); `date` is always read
        read = columns if "date" in columns else [*columns, "date"]
        parts = []
        for year in years:
            if year not in self._years:
                continue
            file = self._file(year)
            with self._lock:  # a remote file's prefetched block serves one read at a time
                parts.extend(_read_overlapping(file, start, until, read, self._remote.get(year)))
        if not parts:
            return BAR_SCHEMA.empty_table().select(read)
        return pa.concat_tables(parts).unify_dictionaries()  # one symbol dictionary across row groups

    def _read(self, years: Iterable[int], start: date, until: date, columns: list[str] | None) -> pd.DataFrame:
        wanted = list(columns or BAR_COLUMNS)
        table = self._read_groups(years, start, until, wanted)
        days = _day_numbers(table)
        inside = (days >= _day_number(start)) & (days <= _day_number(until))
        if not inside.all():
            table = table.filter(pa.array(inside))
        if "symbol" in wanted:  # frames carry plain strings, as written
            table = table.set_column(table.schema.get_field_index("symbol"), "symbol", _symbol_strings(table))
        frame: pd.DataFrame = table.select(wanted).to_pandas()
        return frame

    def frame(
        self, start: date | None = None, until: date | None = None, columns: list[str] | None = None
    ) -> pd.DataFrame:
        """Return the long bars dated start … until (default: all), sorted by (date, symbol)."""
        first = start or date(self._years[0], 1, 1)
        last = until or date(self._years[-1], 12, 31)
        return self._read(range(first.year, last.year + 1), first, last, columns)

    def panel(self, until: date, lookback: int, *, order: Literal["C", "F"] = "C") -> Panel:
        """Return the last `lookback` sessions on or before `until` as a wide panel.

        Never includes a bar dated after `until`: the point-in-time boundary of every decision.
        `order="F"` lays each stock's history out contiguously (the scan kernels' layout) at no extra cost.
        """
        days = [d for d in self.sessions() if d <= until][-lookback:]
        if not days:
            raise DataError(f"bar store {self.root} has no bars on or before {until}")
        years = range(days[0].year, until.year + 1)
        # where each bar goes from (date, symbol) alone, then every field a year file at a time, scattered in
        # one pass: a year's Arrow data is let go before the next is read, so the read never holds the whole
        # long table beside the panel. A reader thread loads the kernel (numba) while the first read decodes,
        # then reads the next year while this one scatters (Parquet decoding and the kernel release the GIL).
        from alphamoe.market.scatter import load_scatter_kernel, scatter_bars  # numba: panel readers only

        def fields(year: int) -> list[npt.NDArray[Any]]:
            table = self._read_groups([year], days[0], until, list(_PANEL_FILL))
            return [_field(table.column(name), dtype) for name, (_, dtype) in _PANEL_FILL.items()]

        with ThreadPoolExecutor(max_workers=1) as reader:
            loaded = reader.submit(load_scatter_kernel, np.int32, tuple(dtype for _, dtype in _PANEL_FILL.values()))
            pending = reader.submit(fields, years[0])
            dates = np.array(days, dtype="datetime64[D]")
            cells = _Cells.of(self._read_groups(years, days[0], until, ["symbol"]), dates)
            shape = (len(cells.dates), len(cells.symbols))
            wide: dict[str, npt.NDArray[Any]] = {
                name: np.full(shape, fill, dtype=dtype, order=order) for name, (fill, dtype) in _PANEL_FILL.items()
            }
            strides = (shape[1], 1) if order == "C" else (1, shape[0])
            flat = [a.reshape(-1, order=order) for a in wide.values()]  # views: the kernel writes the panel
            loaded.result()
            done = 0
            for year in years:
                values = pending.result()
                if year < years[-1]:
                    pending = reader.submit(fields, year + 1)
                count = len(values[0])
                rows, cols = cells.row[done : done + count], cells.column[done : done + count]
                scatter_bars(rows, cols, *strides, *flat, *values)
                done += count
            del values, pending  # the last year's fields are views of Arrow buffers
        pa.default_memory_pool().release_unused()  # the Arrow pool keeps what the reads freed: give it back
        return Panel(dates=cells.dates, symbols=cells.symbols, **wide)

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


def has_bar_store(location: Path | str | S3Location | ObjectStore, *, s3: S3Settings | None = None) -> bool:
    """Return True when `location` holds at least one bars/<year>.parquet (a folder or S3 prefix)."""
    if not isinstance(location, ObjectStore) and isinstance(parse_location(location), Path):
        folder = Path(parse_location(location))
        return (folder / "bars").is_dir() and any(p.stem.isdigit() for p in (folder / "bars").glob("*.parquet"))
    return any(_is_year_key(k) for k in open_store(location, s3=s3).list("bars/"))


def _is_year_key(key: str) -> bool:
    return key.startswith("bars/") and key.endswith(".parquet") and key[5:-8].isdigit() and "/" not in key[5:]


def _session_groups(table: pa.Table) -> int:
    # row-group length: whole sessions adding up to about ROW_GROUP_ROWS rows
    sessions = max(len(pc_unique(table.column("date"))), 1)
    per_session = max(int(table.num_rows) // sessions, 1)
    return max(per_session * max(ROW_GROUP_ROWS // per_session, 1), 1)


def _parquet_bytes(table: pa.Table, row_group_size: int | None = None) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", row_group_size=row_group_size, write_statistics=True)
    return bytes(sink.getvalue().to_pybytes())


def _read_table(objects: ObjectStore, key: str) -> pa.Table:
    # ParquetFile, not pq.read_table: the latter builds a pyarrow.dataset, which imports pandas (~0.5 s)
    path = objects.local_path(key)
    if path is not None:
        if not path.is_file():
            raise ObjectNotFoundError(f"no object {key!r} in {objects.url}")
        return pq.ParquetFile(path).read()
    return pq.ParquetFile(pa.BufferReader(objects.get_bytes(key))).read()


def _read_overlapping(
    file: pq.ParquetFile, start: date, until: date, columns: list[str], remote: _RangeFile | None = None
) -> list[pa.Table]:
    # row-group pruning on the date statistics; runs of consecutive groups are read in one call (one GET
    # on S3), so the tables keep the (date, symbol) order
    meta = file.metadata
    date_col = meta.schema.names.index("date")
    runs: list[list[int]] = []
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(date_col).statistics
        if stats is not None and stats.has_min_max and (stats.max < start or stats.min > until):
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    parts = []
    for groups in runs:
        if remote is not None:
            remote.prefetch(*_byte_span(meta, groups, columns))
        # single-threaded: on a busy 2-core box the decode pool costs more CPU and wall time than it saves
        parts.append(file.read_row_groups(groups, columns=columns, use_threads=False))
    return parts


def _day_number(day: date) -> int:
    return int(np.datetime64(day, "D").astype(np.int64))


def _day_numbers(table: pa.Table) -> npt.NDArray[np.int64]:
    # days since the epoch of every row: date32 is stored as exactly that
    chunks = [c.view(pa.int32()).to_numpy() for c in table.column("date").chunks]
    return np.concatenate(chunks).astype(np.int64) if chunks else np.zeros(0, dtype=np.int64)


def _symbol_codes(table: pa.Table) -> tuple[npt.NDArray[np.int32], list[str]]:
    # each row's index into one dictionary of symbols (tables from _read_groups share one after unifying)
    column = table.column("symbol").combine_chunks()
    if not pa.types.is_dictionary(column.type):
        import pyarrow.compute as pc

        column = pc.dictionary_encode(column)
    codes = column.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    return codes, [str(s) for s in column.dictionary.to_pylist()]


def _symbol_strings(table: pa.Table) -> pa.ChunkedArray:
    column = table.column("symbol")
    return column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column


def _byte_span(meta: Any, groups: list[int], columns: list[str]) -> tuple[int, int]:
    # the bytes holding `columns` of row groups `groups`: their column chunks lie between these offsets
    names = meta.schema.names
    wanted = [names.index(c) for c in columns]
    lo, hi = 2**62, 0
    for g in groups:
        group = meta.row_group(g)
        for c in wanted:
            chunk = group.column(c)
            first = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
            lo, hi = min(lo, first), max(hi, first + chunk.total_compressed_size)
    return lo, hi


class _RangeFile(io.RawIOBase):
    """A read-only, seekable file over one object, read with ranged GETs (the Parquet reader's source)."""

    def __init__(self, objects: ObjectStore, key: str) -> None:
        super().__init__()
        self.objects, self.key = objects, key
        self.length: int = objects.size(key)
        self.pos = 0
        self._block: tuple[int, bytes] = (0, b"")  # (offset, bytes) fetched by prefetch()

    def prefetch(self, start: int, end: int) -> None:
        """Fetch bytes start … end in one GET: a run of row groups costs one request, not one per group."""
        self._block = (start, self.objects.get_range(self.key, start, end - start))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.length}[whence]
        self.pos = max(base + offset, 0)
        return self.pos

    def size(self) -> int:
        return self.length

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.length - self.pos
        size = min(size, self.length - self.pos)
        if size <= 0:
            return b""
        offset, block = self._block
        if offset <= self.pos and self.pos + size <= offset + len(block):
            data = block[self.pos - offset : self.pos - offset + size]
        else:
            data = self.objects.get_range(self.key, self.pos, size)
        self.pos += len(data)
        return data


_PANEL_COLUMNS = tuple(c for c in BAR_COLUMNS if c != "name")
_UNREAD = object()  # `BarStore.refresh` has not looked at meta.json yet


_PANEL_FILL: dict[str, tuple[float | bool | int, type]] = {
    "open": (np.nan, np.float64),
    "high": (np.nan, np.float64),
    "low": (np.nan, np.float64),
    "close": (np.nan, np.float64),
    "prev_close": (np.nan, np.float64),
    "volume": (np.nan, np.float64),
    "amount": (np.nan, np.float64),
    "st": (False, np.bool_),
    "listing_index": (-1, np.int32),
}
"""Each panel field's value where a stock has no bar, and its dtype."""


@dataclass(frozen=True)
class _Cells:
    """Where each bar of a long read lands in the wide panel, by index arithmetic: a bar's row is its session's
    position (a lookup table over the day numbers), its column the rank of its symbol among the symbols in
    range. Bars outside dates[0] … dates[-1] (the rest of a row group) get row and column -1, which
    `scatter.scatter_bars` skips, so each year's fields are scattered without a mask or a filtered copy."""

    dates: npt.NDArray[np.datetime64]
    symbols: tuple[str, ...]
    row: npt.NDArray[np.int32]  # per bar: its panel row, or -1 outside the dates
    column: npt.NDArray[np.int32]  # per bar: its panel column, or -1 outside the dates

    @classmethod
    def of(cls, table: pa.Table, dates: npt.NDArray[np.datetime64]) -> _Cells:
        """Return the cells of a read holding `date` and `symbol` (`BarStore._read_groups` order).

        int32 throughout (date32 days, dictionary indices, rows and columns all fit): a 10-year read of
        5,500 stocks is 13 M bars, so every per-bar array is 54 MB, not 107.
        """
        first = int(dates[0].astype(np.int64))
        span = int(dates[-1].astype(np.int64)) - first + 1
        position = np.full(span + 1, -1, dtype=np.int32)  # the last entry: a day outside the window
        position[dates.astype(np.int64) - first] = np.arange(len(dates), dtype=np.int32)
        chunks = [c.view(pa.int32()).to_numpy() for c in table.column("date").chunks]
        offset = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)
        offset -= np.int32(first)
        offset[(offset < 0) | (offset >= span)] = span
        rows = position[offset]
        del offset
        keep = rows >= 0
        codes, names = _symbol_codes(table)
        present = np.flatnonzero(np.bincount(codes[keep], minlength=len(names)))
        ranked = np.argsort(np.array([names[k] for k in present], dtype=str), kind="stable")
        column_of = np.full(len(names), -1, dtype=np.int32)
        column_of[present[ranked]] = np.arange(len(present), dtype=np.int32)
        columns = column_of[codes]
        columns[~keep] = -1
        return cls(dates, tuple(names[k] for k in present[ranked]), rows, columns)


def _field(column: pa.ChunkedArray, dtype: type) -> npt.NDArray[Any]:
    # one field of a read as a contiguous array of the panel's dtype (null → NaN, as Arrow gives it), always
    # read-only: a zero-copy view of Arrow's buffer is, and numba compiles a kernel per writeable flag
    values: npt.NDArray[Any] = np.ascontiguousarray(column.to_numpy(), dtype=dtype)
    values.flags.writeable = False
    return values


def pc_unique(col: pa.ChunkedArray) -> list[date]:
    import pyarrow.compute as pc

    return [d for d in pc.unique(col).to_pylist() if d is not None]
