"""Readers for the corporate-action tables that tushare and akshare export, into `CorporateAction` records.

| layout  | call                                                     | amounts        | rows kept        |
| ------- | -------------------------------------------------------- | -------------- | ---------------- |
| tushare | `pro.dividend(ts_code=…)` (one file, or one per stock)   | per share      | div_proc == 实施 |
| akshare | `ak.stock_history_dividend_detail(symbol, indicator="分红")` | per 10 shares | 进度 == 实施     |
| akshare | `ak.stock_history_dividend_detail(symbol, indicator="配股")` | per 10 shares | a 除权日 is set  |

tushare's `dividend` holds no rights issues (its documentation says so); akshare files carry no code, so the
file's name starts with the stock's (`600000.csv`, `600000.配股.csv`). Amounts are read from the CSV text as
Decimals, never through float. A row that cannot become an action is skipped and counted with its reason,
never guessed: two different rows for one stock, kind and ex date both go.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from alphamoe.data.actions.model import ActionKind, CorporateAction, per_share
from alphamoe.data.importer import MAX_EXAMPLES, ImportReport, files_under, stock_symbol
from alphamoe.errors import DataError

ACTION_FORMATS = ("tushare", "akshare")
IMPLEMENTED = "实施"
TEN = Decimal(10)


@dataclass(frozen=True)
class ActionImport:
    """The actions one import read, and what it skipped."""

    actions: tuple[CorporateAction, ...]
    report: ImportReport


class _RowSkippedError(Exception):
    """A row that is not an action: its reason is counted."""


@dataclass
class _Rows:
    # what each file contributes: actions with where they came from, skip reasons with examples
    actions: list[tuple[str, CorporateAction]]
    skipped: Counter[str]
    examples: list[str]

    def skip(self, where: str, reason: str) -> None:
        self.skipped[reason] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{where}: {reason}")


def _text(row: pd.Series, *names: str) -> str:
    for name in names:
        if name in row.index:
            value = row[name]
            text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()
            if text and text.lower() not in ("nan", "nat", "none", "--", "-"):
                return text
    return ""


def _amount(row: pd.Series, *names: str, per: Decimal = Decimal(1)) -> Decimal:
    text = _text(row, *names).replace(",", "")
    if not text:
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _RowSkippedError(f"{names[0]} {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise _RowSkippedError(f"{names[0]} {text!r} is not a number >= 0")
    return per_share(value / per)


def _day(row: pd.Series, *names: str) -> date | None:
    text = _text(row, *names)
    if not text:
        return None
    for form in ("%Y%m%d", "%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text.removesuffix(".0"), form).date()
        except ValueError:
            continue
    raise _RowSkippedError(f"{names[0]} {text!r} is not a date")


def _read_csv(path: Path, layout: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read {path} as a {layout} corporate-action CSV: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _tushare_row(row: pd.Series, source: str) -> list[CorporateAction]:
    symbol = stock_symbol(_text(row, "ts_code"))
    if symbol is None:
        raise _RowSkippedError("ts_code is not an A-share stock code")
    if _text(row, "div_proc") != IMPLEMENTED:
        raise _RowSkippedError("div_proc is not 实施 (a plan, not an action)")
    ex_date = _day(row, "ex_date")
    if ex_date is None:
        raise _RowSkippedError("实施 without an ex_date")
    bonus, capital = _amount(row, "stk_bo_rate"), _amount(row, "stk_co_rate")
    total = _amount(row, "stk_div")
    if bonus + capital == 0 and total > 0:
        raise _RowSkippedError("stk_div without stk_bo_rate / stk_co_rate: 送 and 转 cannot be told apart")
    if total > 0 and bonus + capital != total:
        raise _RowSkippedError("stk_div differs from stk_bo_rate + stk_co_rate")
    cash = _amount(row, "cash_div_tax")
    if cash == 0 and _amount(row, "cash_div") > 0:
        raise _RowSkippedError("cash_div (after tax) without cash_div_tax (before tax)")
    return _split(
        symbol,
        ex_date,
        cash,
        bonus,
        capital,
        record_date=_day(row, "record_date"),
        announced=_day(row, "imp_ann_date") or _day(row, "ann_date"),
        source=source,
        pay_date=_day(row, "pay_date"),
        listing_date=_day(row, "div_listdate"),
    )


def _split(
    symbol: str, ex_date: date, cash: Decimal, bonus: Decimal, capital: Decimal, **dates: date | str | None
) -> list[CorporateAction]:
    # one record per kind the row carries; `dates` holds record_date, announced, source, pay_date, listing_date
    common = {k: dates[k] for k in ("record_date", "announced", "source")}
    out = []
    if cash > 0:
        out.append(
            CorporateAction.model_validate(
                {"symbol": symbol, "kind": ActionKind.CASH_DIVIDEND, "ex_date": ex_date, "cash": cash,
                 "pay_date": dates["pay_date"], **common}
            )
        )  # fmt: skip
    for kind, shares in ((ActionKind.BONUS_SHARES, bonus), (ActionKind.CAPITALISATION_SHARES, capital)):
        if shares > 0:
            out.append(
                CorporateAction.model_validate(
                    {"symbol": symbol, "kind": kind, "ex_date": ex_date, "shares": shares,
                     "listing_date": dates["listing_date"], **common}
                )
            )  # fmt: skip
    if not out:
        raise _RowSkippedError("实施 with no cash and no shares")
    return out


def _akshare_dividend_row(row: pd.Series, symbol: str, source: str) -> list[CorporateAction]:
    if _text(row, "进度") != IMPLEMENTED:
        raise _RowSkippedError("进度 is not 实施 (a plan, not an action)")
    ex_date = _day(row, "除权除息日")
    if ex_date is None:
        raise _RowSkippedError("实施 without a 除权除息日")
    return _split(
        symbol,
        ex_date,
        _amount(row, *_AK_CASH, per=TEN),
        _amount(row, *_AK_BONUS, per=TEN),
        _amount(row, *_AK_CAPITAL, per=TEN),
        record_date=_day(row, "股权登记日"),
        announced=_day(row, "公告日期"),
        source=source,
        pay_date=_day(row, "派息日", "红利发放日"),
        listing_date=_day(row, "红股上市日"),
    )


def _akshare_rights_row(row: pd.Series, symbol: str, source: str) -> list[CorporateAction]:
    ex_date = _day(row, "除权日")
    if ex_date is None:
        raise _RowSkippedError("配股 without a 除权日 (not carried out)")
    ratio, price = _amount(row, "配股方案", per=TEN), _amount(row, "配股价格", "配股价格(元)")
    if ratio == 0 or price == 0:
        raise _RowSkippedError("配股 without 配股方案 or 配股价格")
    return [
        CorporateAction(
            symbol=symbol,
            kind=ActionKind.RIGHTS_ISSUE,
            ex_date=ex_date,
            rights_ratio=ratio,
            rights_price=price,
            record_date=_day(row, "股权登记日"),
            listing_date=_day(row, "配股上市日"),
            announced=_day(row, "公告日期"),
            source=source,
        )
    ]


# the column spellings akshare has used for the same per-10-share figures
_AK_BONUS = ("送股", "送股(股)", "每10股送股(股)", "送股比例(每10股)")
_AK_CAPITAL = ("转增", "转增(股)", "每10股转增(股)", "转增比例(每10股)")
_AK_CASH = ("派息", "派息(税前)(元)", "每10股派息(税前)(元)", "派息(每10股/元)")


def _rows_of(
    frame: pd.DataFrame, file: Path | str, rows: _Rows, parse: Callable[[pd.Series], list[CorporateAction]]
) -> None:
    label = file.name if isinstance(file, Path) else file
    for i, (_, row) in enumerate(frame.iterrows()):
        where = f"{label}:{i + 2}"
        try:
            rows.actions.extend((where, a) for a in parse(row))
        except _RowSkippedError as why:
            rows.skip(where, str(why))
        except ValidationError as exc:
            rows.skip(where, f"invalid action: {exc.errors()[0]['msg']}")


def _read_tushare(file: Path, rows: _Rows) -> None:
    _tushare_frame(_read_csv(file, "tushare"), file, rows)


def _tushare_frame(frame: pd.DataFrame, file: Path | str, rows: _Rows) -> None:
    missing = [c for c in ("ts_code", "div_proc", "ex_date", "stk_div", "cash_div_tax") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{file} lacks the tushare dividend columns {missing} (has {list(frame.columns)}); expected "
            'pro.dividend(ts_code="600000.SH").to_csv(…)'
        )
    _rows_of(frame, file, rows, lambda row: _tushare_row(row, "tushare:dividend"))


def _read_akshare(file: Path, rows: _Rows) -> None:
    frame = _read_csv(file, "akshare")
    symbol = stock_symbol(file.name.split(".")[0])
    if symbol is None:
        raise DataError(
            f"{file}: an akshare 分红送配 file's name starts with its stock code (600000.csv, 600000.配股.csv)"
        )
    if "配股方案" in frame.columns:
        _rows_of(frame, file, rows, lambda row: _akshare_rights_row(row, symbol, "akshare:配股"))
        return
    if "除权除息日" not in frame.columns or "进度" not in frame.columns:
        raise DataError(
            f"{file} lacks the akshare 分红 columns ['进度', '除权除息日'] or 配股 columns ['配股方案', '除权日'] "
            f'(has {list(frame.columns)}); expected ak.stock_history_dividend_detail(symbol="600000", '
            'indicator="分红").to_csv(…)'
        )
    _rows_of(frame, file, rows, lambda row: _akshare_dividend_row(row, symbol, "akshare:分红"))


def _unique(rows: _Rows) -> list[CorporateAction]:
    # the same action listed twice is kept once; two different ones for a (symbol, kind, ex date) both go
    by_key: dict[tuple[str, str, date], list[tuple[str, CorporateAction]]] = {}
    for where, action in rows.actions:
        by_key.setdefault((action.symbol, action.kind.value, action.ex_date), []).append((where, action))
    kept = []
    for listed in by_key.values():
        amounts = {(a.cash, a.shares, a.rights_ratio, a.rights_price) for _, a in listed}
        if len(amounts) == 1:
            kept.append(listed[0][1])
            if len(listed) > 1:
                rows.skipped["the same action listed again"] += len(listed) - 1
        else:
            for where, _ in listed:
                rows.skip(where, "different amounts for one stock, kind and ex date")
    return kept


def read_tushare_dividends(frame: pd.DataFrame, label: str) -> ActionImport:
    """Return the actions of tushare `dividend` rows (a frame from the API; `label` names them in skip reasons)."""
    rows = _Rows([], Counter(), [])
    if not frame.empty:
        _tushare_frame(frame.astype(object).where(frame.notna(), None), label, rows)
    return _frame_import(rows, label)


def read_akshare_dividends(frame: pd.DataFrame, label: str, *, source: str = "akshare:分红") -> ActionImport:
    """Return the actions of akshare 分红 rows that name their stock in a `代码` column (a day of many stocks).

    Columns as `ak.stock_history_dividend_detail(indicator="分红")`: 进度, 除权除息日, 派息, 送股, 转增 (per 10).
    """
    rows = _Rows([], Counter(), [])

    def parse(row: pd.Series) -> list[CorporateAction]:
        symbol = stock_symbol(_text(row, "代码"))
        if symbol is None:
            raise _RowSkippedError("代码 is not an A-share stock")
        return _akshare_dividend_row(row, symbol, source)

    if not frame.empty:
        _rows_of(frame.astype(object).where(frame.notna(), None), label, rows, parse)
    return _frame_import(rows, label)


def _frame_import(rows: _Rows, label: str) -> ActionImport:
    # one vendor answer read as one "file"
    actions = _unique(rows)
    report = ImportReport(
        source=label, files=1, rows=len(actions), skipped=dict(rows.skipped), examples=tuple(rows.examples)
    )
    return ActionImport(tuple(actions), report)


def read_actions_source(fmt: str, path: Path) -> ActionImport:
    """Read corporate actions of layout `fmt` (tushare, akshare) from a CSV file or a folder of them."""
    readers = {"tushare": _read_tushare, "akshare": _read_akshare}
    if fmt not in readers:
        raise DataError(f"corporate actions in format {fmt!r} are not supported (supported: tushare, akshare)")
    files = files_under(path, "*.csv", f"{fmt} corporate-action")
    rows = _Rows([], Counter(), [])
    for file in files:
        readers[fmt](file, rows)
    actions = _unique(rows)
    report = ImportReport(
        source=str(Path(path).resolve()),
        files=len(files),
        rows=len(actions),
        skipped=dict(rows.skipped),
        examples=tuple(rows.examples),
    )
    return ActionImport(tuple(actions), report)
