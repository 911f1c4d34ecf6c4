"""A STAND-IN for tushare pro's HTTP API (http://api.tushare.pro), for tests and benchmarks only.

It speaks tushare's wire protocol on 127.0.0.1: `POST /` with JSON `{"api_name", "token", "params",
"fields"}`, answered `{"request_id", "code", "msg", "data": {"fields", "items", "has_more"}}`. Its tables are
built from a bar store's frames in tushare's own columns and units (vol in lots, amount in 千元, YYYYMMDD
dates), so a test feeds it the real A-share files and checks the client brings back the same bars.

Like tushare it answers a wrong token with code -2001, an endpoint the account's points do not unlock with
code 40203 "抱歉，您没有访问该接口的权限…", and a call over the per-minute quota with code 40203
"抱歉，您每分钟最多访问该接口N次…". Scripted faults for the next calls: "500" (HTTP 500), "ratelimit",
"drop" (the connection closes without an answer).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from alphamoe.data.actions.model import ActionKind, CorporateAction
from support.http_standin import HttpStandin

TOKEN = "standin-token"
RATE_MSG = "抱歉，您每分钟最多访问该接口{n}次，权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。"
POINTS_MSG = "抱歉，您没有访问该接口的权限，权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。"
TOKEN_MSG = "您的token不对，请确认。"
RANGES = {"start_date": ">=", "end_date": "<="}  # params that bound the table's date column


def ymd(day: object) -> str | None:
    if day is None or day is pd.NaT or (isinstance(day, float) and day != day):
        return None
    return pd.Timestamp(str(day)).strftime("%Y%m%d")


def _ts_code(symbol: str) -> str:
    return symbol  # the store's canonical symbols (600000.SH) are tushare's ts_code


def daily_table(bars: pd.DataFrame) -> pd.DataFrame:
    """Return `pro.daily` rows from store bars (BAR_COLUMNS): vol in lots, amount in 千元."""
    return pd.DataFrame(
        {
            "ts_code": bars["symbol"].map(_ts_code),
            "trade_date": [d.strftime("%Y%m%d") for d in pd.to_datetime(bars["date"])],
            "open": bars["open"],
            "high": bars["high"],
            "low": bars["low"],
            "close": bars["close"],
            "pre_close": bars["prev_close"],
            "change": (bars["close"] - bars["prev_close"]).round(2),
            "vol": bars["volume"] / 100,
            "amount": bars["amount"] / 1000,
        }
    )


def namechange_table(bars: pd.DataFrame) -> pd.DataFrame:
    """Return `pro.namechange` rows: one span per run of one printed name (start_date … end_date)."""
    frame = bars.sort_values(["symbol", "date"], kind="stable")
    run = (frame["name"] != frame.groupby("symbol")["name"].shift(1)).cumsum()
    spans = frame.groupby(run).agg(
        ts_code=("symbol", "first"), name=("name", "first"), start=("date", "first"), end=("date", "last")
    )
    last = spans["ts_code"] != spans["ts_code"].shift(-1)
    return pd.DataFrame(
        {
            "ts_code": spans["ts_code"],
            "name": spans["name"],
            "start_date": spans["start"].map(ymd),
            "end_date": [None if is_last else ymd(e) for e, is_last in zip(spans["end"], last, strict=True)],
            "ann_date": spans["start"].map(ymd),
            "change_reason": "",
        }
    ).reset_index(drop=True)


def stock_basic_table(instruments: pd.DataFrame) -> pd.DataFrame:
    """Return `pro.stock_basic` rows (list_status D once delisted, else L)."""
    delisted = instruments["delist_date"].notna()
    return pd.DataFrame(
        {
            "ts_code": instruments["symbol"],
            "name": instruments["name"],
            "industry": instruments.get("industry"),
            "list_date": instruments["list_date"].map(ymd),
            "delist_date": instruments["delist_date"].map(ymd),
            "list_status": ["D" if d else "L" for d in delisted],
        }
    )


def dividend_table(actions: Iterable[CorporateAction]) -> pd.DataFrame:
    """Return `pro.dividend` rows (实施, per share) for cash, bonus and capitalisation actions."""
    rows: dict[tuple[str, date], dict[str, Any]] = {}
    for a in actions:
        row = rows.setdefault(
            (a.symbol, a.ex_date),
            {"ts_code": a.symbol, "end_date": None, "ann_date": ymd(a.announced or a.ex_date), "div_proc": "实施",
             "stk_div": 0.0, "stk_bo_rate": 0.0, "stk_co_rate": 0.0, "cash_div": 0.0, "cash_div_tax": 0.0,
             "record_date": ymd(a.record_date), "ex_date": ymd(a.ex_date), "pay_date": ymd(a.pay_date),
             "div_listdate": ymd(a.listing_date), "imp_ann_date": ymd(a.announced)},
        )  # fmt: skip
        if a.kind is ActionKind.CASH_DIVIDEND and a.cash is not None:
            row["cash_div_tax"] = float(a.cash)
            row["cash_div"] = float(a.cash)
        elif a.shares is not None:
            rate = "stk_bo_rate" if a.kind is ActionKind.BONUS_SHARES else "stk_co_rate"
            row[rate] = float(a.shares)
            row["stk_div"] = row["stk_bo_rate"] + row["stk_co_rate"]
    return pd.DataFrame(list(rows.values()))


def index_table(code: str, series: pd.DataFrame) -> pd.DataFrame:
    """Return `pro.index_daily` rows of one index from INDEX_COLUMNS (volume in shares, amount in CNY)."""
    return pd.DataFrame(
        {
            "ts_code": code,
            "trade_date": series["date"].map(ymd),
            **{c: series[c] for c in ("open", "high", "low", "close")},
            "vol": series["volume"] / 100,
            "amount": series["amount"] / 1000,
        }
    )


def trade_cal_table(sessions: Iterable[date]) -> pd.DataFrame:
    """Return `pro.trade_cal` rows: every calendar day from the first session to the last, is_open 0/1."""
    days = sorted(sessions)
    open_days = {d.strftime("%Y%m%d") for d in days}
    every = pd.date_range(days[0], days[-1], freq="D").strftime("%Y%m%d")
    return pd.DataFrame({"exchange": "SSE", "cal_date": every, "is_open": [int(d in open_days) for d in every]})


def tushare_tables(
    bars: pd.DataFrame,
    instruments: pd.DataFrame,
    *,
    actions: Iterable[CorporateAction] = (),
    indices: dict[str, pd.DataFrame] | None = None,
    suspended: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Return the stand-in's tables from store frames (bars, instruments, actions, index series by code)."""
    tables = {
        "daily": daily_table(bars),
        "namechange": namechange_table(bars),
        "stock_basic": stock_basic_table(instruments),
        "dividend": dividend_table(actions),
        "trade_cal": trade_cal_table(set(bars["date"])),
        "suspend_d": suspended
        if suspended is not None
        else pd.DataFrame(columns=["ts_code", "trade_date", "suspend_timing", "suspend_type"]),
    }
    index_parts = [index_table(code, series) for code, series in (indices or {}).items()]
    tables["index_daily"] = (
        pd.concat(index_parts, ignore_index=True)
        if index_parts
        else pd.DataFrame(columns=["ts_code", "trade_date", "open", "high", "low", "close", "vol", "amount"])
    )
    return tables


DATE_COLUMNS = {"daily": "trade_date", "trade_cal": "cal_date", "index_daily": "trade_date", "suspend_d": "trade_date",
                "news": "datetime"}  # fmt: skip
PAGING = ("offset", "limit")  # tushare's paging params: rows offset … offset+limit of the answer


@dataclass
class TushareStandin(HttpStandin):
    """tushare pro's API on 127.0.0.1 over `tables` (api_name → DataFrame in tushare's columns)."""

    tables: dict[str, pd.DataFrame]
    locked: frozenset[str] = frozenset()  # endpoints the account's points do not unlock

    def calls(self, api_name: str | None = None) -> int:
        return sum(1 for s in self.seen if api_name is None or s["api_name"] == api_name)

    def respond(self, method: str, path: str, query: dict[str, str], body: bytes, fault: str) -> tuple[int, Any] | None:
        return 200, self.answer(json.loads(body or b"{}"), fault)

    def answer(self, body: dict[str, Any], fault: str) -> dict[str, Any]:
        api, params = str(body.get("api_name", "")), dict(body.get("params") or {})
        self.seen.append({"api_name": api, "params": params, "fields": body.get("fields", "")})
        if body.get("token") != TOKEN:
            return _error(-2001, TOKEN_MSG)
        if api in self.locked:
            return _error(40203, POINTS_MSG)
        if fault == "ratelimit" or self.over_quota(api):
            return _error(40203, RATE_MSG.format(n=self.calls_per_minute or 1))
        if api not in self.tables:
            return _error(40101, f"接口名{api}不存在")
        table = self.tables[api]
        mask = pd.Series(True, index=table.index)
        for key, value in params.items():
            if key in PAGING:
                continue
            if key in RANGES and api in DATE_COLUMNS:
                column: pd.Series[str] = table[DATE_COLUMNS[api]].astype(str)
                inside = (column >= str(value)) if RANGES[key] == ">=" else (column <= str(value))
                mask &= inside
            elif key in table.columns and value not in (None, ""):
                cells: pd.Series[str] = table[str(key)].astype(str)
                mask &= cells == str(value)
        fields = [f for f in str(body.get("fields") or "").split(",") if f] or list(table.columns)
        rows = table.loc[mask].reindex(columns=fields)
        offset = int(params.get("offset") or 0)
        rows = rows.iloc[offset : offset + int(params["limit"])] if params.get("limit") else rows.iloc[offset:]
        items = rows.astype(object).where(rows.notna(), None).to_numpy().tolist()
        return {"request_id": uuid.uuid4().hex, "code": 0, "msg": "", "data": {"fields": fields, "items": items,
                "has_more": False}}  # fmt: skip


def _error(code: int, msg: str) -> dict[str, Any]:
    return {"request_id": uuid.uuid4().hex, "code": code, "msg": msg, "data": None}
