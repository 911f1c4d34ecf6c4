"""Importers for the common daily-bar CSV layouts: akshare, tushare, baostock and a QMT (xtquant) export.

Each layout is data: its column names, its units and how it marks dates and suspensions. Everything is
normalised to what the bar store holds: shares (not lots of 100), CNY (not thousands), raw prices with the
exchange's ex-rights previous close, and no rows for suspended days.

| layout   | typical call                                       | volume | amount   | previous close     |
| -------- | -------------------------------------------------- | ------ | -------- | ------------------ |
| akshare  | `ak.stock_zh_a_hist(code, adjust="")`              | lots   | CNY      | close − 涨跌额      |
| tushare  | `pro.daily(ts_code=…)`                             | lots   | 1000 CNY | pre_close          |
| baostock | `query_history_k_data_plus(…, adjustflag="3")`     | shares | CNY      | preclose           |
| qmt      | `xtdata.get_market_data_ex(…, dividend_type="none")` | lots | CNY      | preClose           |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alphamoe.data.importer import Imported, clean, files_under, finish, numbers
from alphamoe.errors import DataError

Progress = Callable[[int, int], None]
LOT = 100.0  # shares per lot (手)
THOUSAND = 1000.0  # CNY per 千元


@dataclass(frozen=True)
class Layout:
    """One source's CSV layout: canonical name → its column (first one present wins), units, date form."""

    name: str
    columns: dict[str, tuple[str, ...]]
    volume_unit: float  # shares per unit of the volume column
    amount_unit: float  # CNY per unit of the amount column
    date_format: str  # strptime format, or "epoch_ms" (milliseconds, Asia/Shanghai)
    example: str  # the call that produces the layout, for error messages
    suspended: tuple[str, str] | None = None  # (column, value) that marks a suspension row to drop
    change: tuple[str, ...] = ()  # price change column: prev_close = close − change when no prev_close
    st: tuple[str, ...] = ()  # a 0/1 risk-warning column, when the layout has one
    adjusted: tuple[str, str] | None = None  # (column, raw value): rows of adjusted prices are refused

    def pick(self, frame: pd.DataFrame, canonical: str) -> str | None:
        return next((c for c in self.columns.get(canonical, ()) if c in frame.columns), None)


AKSHARE = Layout(
    name="akshare",
    columns={
        "symbol": ("股票代码", "代码", "code", "symbol"),
        "name": ("名称", "股票名称", "name"),
        "date": ("日期", "date"),
        "open": ("开盘", "open"),
        "high": ("最高", "high"),
        "low": ("最低", "low"),
        "close": ("收盘", "close"),
        "prev_close": ("昨收", "前收盘", "pre_close"),
        "volume": ("成交量", "volume"),
        "amount": ("成交额", "amount"),
    },
    volume_unit=LOT,
    amount_unit=1.0,
    date_format="%Y-%m-%d",
    change=("涨跌额",),
    example='ak.stock_zh_a_hist(symbol="600000", period="daily", adjust="").to_csv("600000.csv")',
)
TUSHARE = Layout(
    name="tushare",
    columns={
        "symbol": ("ts_code",),
        "name": ("name",),
        "date": ("trade_date",),
        "open": ("open",),
        "high": ("high",),
        "low": ("low",),
        "close": ("close",),
        "prev_close": ("pre_close",),
        "volume": ("vol",),
        "amount": ("amount",),
    },
    volume_unit=LOT,
    amount_unit=THOUSAND,
    date_format="%Y%m%d",
    change=("change",),
    example='pro.daily(ts_code="600000.SH").to_csv("600000.SH.csv")',
)
BAOSTOCK = Layout(
    name="baostock",
    columns={
        "symbol": ("code",),
        "name": ("code_name", "name"),
        "date": ("date",),
        "open": ("open",),
        "high": ("high",),
        "low": ("low",),
        "close": ("close",),
        "prev_close": ("preclose",),
        "volume": ("volume",),
        "amount": ("amount",),
    },
    volume_unit=1.0,
    amount_unit=1.0,
    date_format="%Y-%m-%d",
    suspended=("tradestatus", "0"),
    st=("isST",),
    adjusted=("adjustflag", "3"),
    example='bs.query_history_k_data_plus("sh.600000", "date,code,open,high,low,close,preclose,volume,amount,'
    'adjustflag,tradestatus,isST", frequency="d", adjustflag="3")',
)
QMT = Layout(
    name="qmt",
    columns={
        "symbol": ("stock_code", "code", "symbol"),
        "name": ("name", "InstrumentName"),
        "date": ("time", "date"),
        "open": ("open",),
        "high": ("high",),
        "low": ("low",),
        "close": ("close",),
        "prev_close": ("preClose", "pre_close"),
        "volume": ("volume",),
        "amount": ("amount",),
    },
    volume_unit=LOT,
    amount_unit=1.0,
    date_format="epoch_ms",
    suspended=("suspendFlag", "1"),
    example='xtdata.get_market_data_ex([], ["600000.SH"], period="1d", dividend_type="none")["600000.SH"].to_csv(…)',
)
LAYOUTS = {layout.name: layout for layout in (AKSHARE, TUSHARE, BAOSTOCK, QMT)}
_REQUIRED = ("date", "open", "high", "low", "close", "volume", "amount")


def _dates(column: pd.Series, layout: Layout) -> pd.Series:
    text = column.astype(str).str.strip()
    if layout.date_format == "epoch_ms":
        # xtquant writes either epoch milliseconds (the `time` field) or YYYYMMDD (the frame's index)
        digits = pd.to_numeric(text, errors="coerce")
        stamps = pd.to_datetime(digits.where(digits > 1e11), unit="ms", utc=True).dt.tz_convert("Asia/Shanghai")
        epoch = stamps.dt.tz_localize(None).dt.normalize()
        ymd = pd.to_datetime(text.where(digits <= 1e11), format="%Y%m%d", errors="coerce")
        return epoch.fillna(ymd)
    parsed = pd.to_datetime(text, format=layout.date_format, errors="coerce")
    if layout.date_format == "%Y-%m-%d":  # akshare/baostock also write timestamps: keep the day
        parsed = parsed.fillna(pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S", errors="coerce"))
    return parsed


def _read_file(path: Path, layout: Layout) -> tuple[pd.DataFrame, tuple[str, ...]]:
    # one source file → raw frame with canonical columns, volume in shares and amount in CNY
    try:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read {path} as a {layout.name} CSV: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if layout.name == "qmt" and "time" not in frame.columns and frame.columns[0] in ("", "Unnamed: 0"):
        frame = frame.rename(columns={frame.columns[0]: "time"})  # the frame's YYYYMMDD index, saved unnamed
    missing = [c for c in _REQUIRED if layout.pick(frame, c) is None]
    if missing:
        wanted = [layout.columns[c][0] for c in missing]
        raise DataError(
            f"{path} lacks the {layout.name} columns {wanted} (has {list(frame.columns)}); "
            f"expected the output of {layout.example}"
        )
    notes: list[str] = []
    if layout.adjusted is not None and layout.adjusted[0] in frame.columns:
        flags = set(frame[layout.adjusted[0]].dropna().astype(str).str.strip())
        if flags - {layout.adjusted[1]}:
            raise DataError(
                f"{path} holds adjusted prices ({layout.adjusted[0]}={sorted(flags)}); import raw prices "
                f"({layout.adjusted[0]}={layout.adjusted[1]}): limits and fills need the exchange's own prices"
            )
    out = pd.DataFrame({c: frame[str(layout.pick(frame, c))] for c in _REQUIRED}, index=frame.index)
    symbol_col = layout.pick(frame, "symbol")
    out["symbol"] = frame[symbol_col] if symbol_col else _symbol_from_name(path)
    name_col = layout.pick(frame, "name")
    out["name"] = frame[name_col] if name_col else ""
    prev = layout.pick(frame, "prev_close")
    change = next((c for c in layout.change if c in frame.columns), None)
    if prev is not None:
        out["prev_close"] = frame[prev]
    elif change is not None:  # akshare: the change is against the exchange's (ex-rights) previous close
        out["prev_close"] = (numbers(out["close"]) - numbers(frame[change])).round(2)
    else:
        out["prev_close"] = np.nan  # filled from the previous row's close below
        notes.append(f"{path.name}: no previous close; taken from the previous row (no ex-rights reference)")
    out["volume"] = numbers(out["volume"]) * layout.volume_unit
    out["amount"] = numbers(out["amount"]) * layout.amount_unit
    st_col = next((c for c in layout.st if c in frame.columns), None)
    if st_col is not None:
        out["st"] = frame[st_col].astype(str).str.strip() == "1"
    keep = pd.Series(True, index=frame.index)
    if layout.suspended is not None and layout.suspended[0] in frame.columns:
        keep = frame[layout.suspended[0]].astype(str).str.strip() != layout.suspended[1]
    out["where"] = [f"{path.name}:{i + 2}" for i in range(len(out))]
    return out.loc[keep], tuple(notes)


def _symbol_from_name(path: Path) -> str:
    # 600000.csv, sh600000.csv, 600000.SH.csv: the code is the file's stem
    stem = path.name.removesuffix(".csv").removesuffix(".CSV")
    return stem


def read_layout(fmt: str, path: Path, *, progress: Progress | None = None) -> Imported:
    """Read every CSV of layout `fmt` under `path` (a folder or one file) into bars and instruments."""
    if fmt not in LAYOUTS:
        raise DataError(f"unknown layout {fmt!r} (known: {', '.join(LAYOUTS)})")
    layout = LAYOUTS[fmt]
    files = files_under(path, "*.csv", layout.name)
    parts: list[pd.DataFrame] = []
    notes: list[str] = []
    for done, file in enumerate(files, start=1):
        part, file_notes = _read_file(file, layout)
        parts.append(part)
        notes.extend(file_notes)
        if progress is not None:
            progress(done, len(files))
    raw = pd.concat(parts, ignore_index=True)
    has_names = bool((raw["name"].astype(str).str.strip() != "").any())
    if not has_names:
        notes.append(f"the {layout.name} files carry no names: no ST/N/XD flags from names")
    frame, rejected = _with_prev_close(raw, layout)
    typed, reasons = clean(frame, dates=_dates(frame["date"], layout), names=has_names)
    rejected = pd.concat([rejected, reasons])
    return finish(raw, typed, rejected, source=path, files=len(files), notes=tuple(notes))


def raw_rows(fmt: str, path: Path) -> pd.DataFrame:
    """Return every row of layout `fmt` under `path` unchecked, in canonical columns, with the parsed `day`.

    For `data update`, which must hand bad rows to the quality gate rather than skip them.
    """
    layout = LAYOUTS[fmt]
    raw = pd.concat([_read_file(f, layout)[0] for f in files_under(path, "*.csv", layout.name)], ignore_index=True)
    return raw.assign(day=_dates(raw["date"], layout).dt.date)


def _with_prev_close(raw: pd.DataFrame, layout: Layout) -> tuple[pd.DataFrame, pd.Series]:
    # fill a missing previous close from the same stock's previous row (the first row cannot be filled)
    missing = numbers(raw["prev_close"]).isna()
    if not missing.any():
        return raw, pd.Series(dtype=object)
    dates = _dates(raw["date"], layout)
    order = raw.assign(_d=dates).sort_values(["symbol", "_d"], kind="stable")
    previous = numbers(order["close"]).groupby(order["symbol"]).shift(1)
    filled = numbers(raw["prev_close"]).fillna(previous.reindex(raw.index))
    first = filled.isna() & missing
    out = raw.assign(prev_close=filled)
    reasons = pd.Series("first row without a previous close", index=raw.index[first], dtype=object)
    return out.loc[~first], reasons
