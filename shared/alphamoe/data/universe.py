"""Universe and index data: benchmark series, index constituents, listing/delisting dates and industry.

Index series live beside the bars as `index/<code>.parquet` (date, open, high, low, close, volume, amount),
constituents as `index/<code>.members.parquet` (symbol, in_date, out_date). Scan filters ask
`listed_on(store, day)`; reports and backtests ask `benchmark_series(store, "CSI300", start, end)`.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alphamoe.data.importer import files_under
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore
from alphamoe.market.boards import normalize_symbol
from alphamoe.storage import ObjectNotFoundError, ObjectStore

BENCHMARKS = {
    "SSE": "000001.SH",  # SSE Composite: a bar on every session since 1990-12-19
    "SSE50": "000016.SH",
    "CSI300": "000300.SH",
    "CSI500": "000905.SH",
    "CSI800": "000906.SH",
    "CSI1000": "000852.SH",
    "STAR50": "000688.SH",
    "CHINEXT": "399006.SZ",
}
INDEX_COLUMNS = ["date", "open", "high", "low", "close", "volume", "amount"]


def index_code(name: str) -> str:
    """Return the canonical code of a benchmark name (CSI300) or an index code (sh000300, 000300.SH)."""
    alias = BENCHMARKS.get(name.strip().upper().replace(" ", "").replace("-", ""))
    if alias is not None:
        return alias
    try:
        code = name.strip()
        return normalize_symbol(code if not code.isdigit() else f"sh{code}" if code[0] == "0" else code)
    except DataError:
        raise DataError(f"{name!r} is neither a benchmark ({', '.join(BENCHMARKS)}) nor an index code") from None


def read_index_csv(path: Path) -> pd.DataFrame:
    """Read one index CSV (`date,open,close,high,low,volume,amount[,code]`, akshare/EastMoney) as INDEX_COLUMNS."""
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read {path} as an index CSV: {exc}") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in INDEX_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path} lacks the index columns {missing} (has {list(frame.columns)})")
    frame["date"] = pd.to_datetime(frame["date"].astype(str), format="mixed").dt.date
    out = frame.loc[:, INDEX_COLUMNS].dropna(subset=["close"]).drop_duplicates("date")
    return out.sort_values("date").reset_index(drop=True)


def write_indices(folder: Path, store: BarStore | ObjectStore) -> list[str]:
    """Import every index CSV of `folder` (file stem = code, e.g. sh000300.csv) beside a store's bars.

    Each file adds or replaces the days it brings in its index's series; every other day is kept."""
    objects = store.objects if isinstance(store, BarStore) else store
    written = []
    for path in files_under(folder, "*.csv", "index"):
        code = index_code(path.stem)
        append_index_bars(objects, code, read_index_csv(path))  # adds or replaces its days, keeps the others
        written.append(code)
    return written


def append_index_bars(source: BarStore | ObjectStore, code: str, bars: pd.DataFrame) -> int:
    """Add or replace the days of `bars` (INDEX_COLUMNS) in an index's series, keeping every other day; return rows."""
    objects = _objects(source)
    key = f"index/{index_code(code)}.parquet"
    try:
        stored: pd.DataFrame = pq.read_table(pa.BufferReader(objects.get_bytes(key))).to_pandas()
    except ObjectNotFoundError:
        stored = pd.DataFrame(columns=INDEX_COLUMNS)
    merged = pd.concat([stored.loc[:, INDEX_COLUMNS], bars.loc[:, INDEX_COLUMNS]], ignore_index=True)
    merged = merged.drop_duplicates("date", keep="last").sort_values("date").reset_index(drop=True)
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(merged, preserve_index=False), sink, compression="zstd")
    objects.put_bytes(key, sink.getvalue())
    return len(merged)


def _objects(source: BarStore | ObjectStore) -> ObjectStore:
    return source.objects if isinstance(source, BarStore) else source


def index_bars(source: BarStore | ObjectStore, name: str) -> pd.DataFrame:
    """Return an imported index's daily bars (INDEX_COLUMNS), oldest first."""
    objects = _objects(source)
    code = index_code(name)
    try:
        raw = objects.get_bytes(f"index/{code}.parquet")
    except ObjectNotFoundError:
        have = sorted(k[6:-8] for k in objects.list("index/") if k.endswith(".parquet") and ".members" not in k)
        raise DataError(
            f"no index {name} ({code}) in {objects.url} (imported: {', '.join(have) or 'none'}); "
            "import one with `alphamoe data index --path DIR`"
        ) from None
    frame: pd.DataFrame = pq.read_table(pa.BufferReader(raw)).to_pandas()
    return frame


def benchmark_series(source: BarStore | ObjectStore, name: str, start: date, end: date) -> pd.Series:
    """Return the benchmark's close for start … end, indexed by date (e.g. name="CSI300")."""
    bars = index_bars(source, name)
    inside = bars[(bars["date"] >= start) & (bars["date"] <= end)]
    return pd.Series(inside["close"].to_numpy(), index=pd.Index(inside["date"], name="date"), name=index_code(name))


def index_sessions(source: BarStore | ObjectStore, name: str = "SSE") -> list[date]:
    """Return the days an index has a bar: the SSE Composite is a trading calendar back to 1990."""
    return list(index_bars(source, name)["date"])


def write_members(source: BarStore | ObjectStore, name: str, members: pd.DataFrame) -> None:
    """Store an index's constituents: one row per membership spell (symbol, in_date, out_date or null)."""
    frame = pd.DataFrame(
        {
            "symbol": members["symbol"].map(normalize_symbol),
            "in_date": pd.to_datetime(members["in_date"]).dt.date,
            "out_date": pd.to_datetime(members["out_date"]).dt.date if "out_date" in members else None,
        }
    )
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    _objects(source).put_bytes(f"index/{index_code(name)}.members.parquet", sink.getvalue())


def members_on(source: BarStore | ObjectStore, name: str, day: date) -> list[str]:
    """Return the index's constituents on `day` (in_date ≤ day, and out_date after day or none), sorted."""
    try:
        raw = _objects(source).get_bytes(f"index/{index_code(name)}.members.parquet")
    except ObjectNotFoundError:
        raise DataError(f"no constituents of {name} in {_objects(source).url}") from None
    frame: pd.DataFrame = pq.read_table(pa.BufferReader(raw)).to_pandas()
    inside = (frame["in_date"] <= day) & (frame["out_date"].isna() | (frame["out_date"] > day))
    return sorted(set(frame.loc[inside, "symbol"]))


def listed_on(store: BarStore, day: date) -> pd.DataFrame:
    """Return the instruments listed on `day` (list_date ≤ day ≤ delist_date), with board and industry."""
    inst = store.instruments()
    listed = (inst["list_date"] <= day) & (inst["delist_date"].isna() | (inst["delist_date"] >= day))
    return inst.loc[listed].reset_index(drop=True)
