"""A STAND-IN for the eastmoney HTTP endpoints akshare calls, for tests and benchmarks only.

It answers on 127.0.0.1 with the JSON shapes of the real endpoints (see `alphamoe.data.feeds.akshare`):

- `GET /api/qt/clist/get` (akshare `stock_zh_a_spot_em`): `{"rc": 0, "data": {"total", "diff": [{f2 …}]}}`,
  paged by `pn`/`pz`; the list of `today` (its close, f124 at 15:00:05): a stock listed that day without a
  bar has "-" prices (suspended);
- `GET /api/qt/stock/kline/get` (`stock_zh_a_hist`, `index_zh_a_hist`): `{"rc": 0, "data": {"code", "market",
  "name", "decimal", "dktotal", "preKPrice", "klines": ["date,open,close,high,low,volume,amount,amplitude,pct,
  chg,turnover", …]}}` for `secid` between `beg` and `end`; `data: null` when nothing is in range;
- `GET /api/data/v1/get?reportName=RPT_SHAREBONUS_DET&filter=(EX_DIVIDEND_DATE='D')` (`stock_fhps_em`):
  `{"result": {"pages", "data": [...], "count"}, "success": true, "code": 0}`, or `result: null, code 9201,
  "返回数据为空"` when nothing matches.

- `GET /api/security/ann` (akshare `stock_notice_report`): `{"data": {"list": [...], "page_index", "page_size",
  "total_hits"}, "error": "", "success": 1}` of the announcements whose notice_date is between `begin_time` and
  `end_time`, paged by `page_index`/`page_size` (items built by `notice_row`);
- `GET /securities/api/data/v1/get?reportName=RPT_F10_FINANCE_MAINFINADATA&filter=(NOTICE_DATE>='D')(NOTICE_DATE<'E')`
  (`stock_financial_analysis_indicator_em`): `result.data`/`result.pages`, paged by `pageNumber`/`pageSize`, or
  `result: null, code 9201` (rows built by `indicator_row`).

Its data is a bar store's frames in eastmoney's units (volume in 手, amount in CNY, raw prices; a kline's 涨跌额
against the previous kline's raw close, as eastmoney's). A call over `calls_per_minute` (all endpoints together) has
its connection dropped, as eastmoney does; scripted faults: "500", "drop" (see `support.http_standin`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from alphamoe.data.actions.model import ActionKind, CorporateAction
from support.http_standin import HttpStandin

SHANGHAI = ZoneInfo("Asia/Shanghai")
EX_DATE_FILTER = re.compile(r"EX_DIVIDEND_DATE='(\d{4}-\d{2}-\d{2})'")
NOTICE_FROM = re.compile(r"NOTICE_DATE>='(\d{4}-\d{2}-\d{2})'")
NOTICE_BEFORE = re.compile(r"NOTICE_DATE<'(\d{4}-\d{2}-\d{2})'")


def secid_of(symbol: str) -> str:
    """Return eastmoney's secid of a store symbol (600000.SH → 1.600000) or an index code (000300.SH)."""
    code, _, exchange = symbol.partition(".")
    return f"{1 if exchange == 'SH' else 0}.{code}"


def _text(value: float) -> str:
    return repr(float(value))


def kline_table(bars: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Return each secid's klines (date-sorted, `line` as eastmoney writes it) from BAR_COLUMNS-like rows."""
    out: dict[str, pd.DataFrame] = {}
    for symbol, rows in bars.sort_values("date", kind="stable").groupby("symbol", sort=False):
        rows = rows.reset_index(drop=True)
        raw_prev = rows["close"].shift(1).fillna(rows["prev_close"])  # eastmoney's change is on the raw close
        chg = (rows["close"] - raw_prev).round(2)
        lines = [
            ",".join((d.isoformat(), _text(o), _text(c), _text(h), _text(lo), _text(v / 100), _text(a),
                      _text(round((h - lo) / p * 100, 2)), _text(round(ch / p * 100, 2)), _text(ch), "0.0"))
            for d, o, c, h, lo, v, a, p, ch in zip(rows["date"], rows["open"], rows["close"], rows["high"],
                                                   rows["low"], rows["volume"], rows["amount"], raw_prev, chg,
                                                   strict=True)
        ]  # fmt: skip
        out[secid_of(str(symbol))] = pd.DataFrame(
            {"date": rows["date"], "close": rows["close"], "prev_close": rows["prev_close"], "line": lines,
             "name": rows.get("name", "")}
        )  # fmt: skip
    return out


def dividend_rows(actions: Iterable[CorporateAction]) -> list[dict[str, Any]]:
    """Return RPT_SHAREBONUS_DET rows (per 10 shares, 实施分配) for cash, bonus and capitalisation actions."""
    rows: dict[tuple[str, date], dict[str, Any]] = {}
    for a in actions:
        if a.kind is ActionKind.RIGHTS_ISSUE:
            continue  # 配股 is not in 分红送配
        stamp = f"{a.ex_date.isoformat()} 00:00:00"
        row = rows.setdefault(
            (a.symbol, a.ex_date),
            {"SECURITY_CODE": a.symbol.split(".")[0], "SECURITY_NAME_ABBR": "", "ASSIGN_PROGRESS": "实施分配",
             "EX_DIVIDEND_DATE": stamp, "EQUITY_RECORD_DATE": a.record_date and f"{a.record_date} 00:00:00",
             "PLAN_NOTICE_DATE": a.announced and f"{a.announced} 00:00:00", "PRETAX_BONUS_RMB": None,
             "BONUS_RATIO": None, "IT_RATIO": None, "BONUS_IT_RATIO": None},
        )  # fmt: skip
        if a.kind is ActionKind.CASH_DIVIDEND and a.cash is not None:
            row["PRETAX_BONUS_RMB"] = float(a.cash * 10)
        elif a.shares is not None:
            row["BONUS_RATIO" if a.kind is ActionKind.BONUS_SHARES else "IT_RATIO"] = float(a.shares * 10)
            row["BONUS_IT_RATIO"] = (row["BONUS_RATIO"] or 0.0) + (row["IT_RATIO"] or 0.0)
    return list(rows.values())


def notice_row(
    code: str, name: str, title: str, published: str, *, art_code: str, kind: str = "重大事项"
) -> dict[str, Any]:
    """Return one `api/security/ann` item as eastmoney writes it; `published` "YYYY-MM-DD HH:MM:SS" is its eiTime."""
    return {"art_code": art_code, "codes": [{"ann_type": "A,SHA" if code.startswith("6") else "A,SZA",
            "inner_code": "", "market_code": "1" if code.startswith("6") else "0", "short_name": name,
            "stock_code": code}], "columns": [{"column_code": "001002", "column_name": kind}],
            "display_time": f"{published}:000", "eiTime": f"{published}:000", "language": "0", "listing_state": "0",
            "notice_date": f"{published[:10]} 00:00:00", "product_code": "", "sort_date": f"{published}",
            "source_type": "0", "title": title, "title_ch": title, "title_en": ""}  # fmt: skip


def indicator_row(secucode: str, period: str, notice: str, **figures: float | str | None) -> dict[str, Any]:
    """Return one RPT_F10_FINANCE_MAINFINADATA row (dates "YYYY-MM-DD"; figures by eastmoney's columns, e.g. EPSJB)."""
    return {"SECUCODE": secucode, "SECURITY_CODE": secucode[:6], "SECURITY_NAME_ABBR": "",
            "REPORT_DATE": f"{period} 00:00:00", "REPORT_TYPE": "", "REPORT_DATE_NAME": "",
            "NOTICE_DATE": f"{notice} 00:00:00", "UPDATE_DATE": f"{notice} 00:00:00", "CURRENCY": "CNY",
            **figures}  # fmt: skip


@dataclass
class EastmoneyStandin(HttpStandin):
    """eastmoney's quote, kline and data-centre endpoints on 127.0.0.1 over a bar store's frames."""

    bars: pd.DataFrame  # BAR_COLUMNS rows (volume in shares, amount CNY)
    actions: Iterable[CorporateAction] = ()
    indices: dict[str, pd.DataFrame] = field(default_factory=dict)  # code (000300.SH) → INDEX_COLUMNS
    today: date | None = None  # the spot list's day; default the last day of `bars`
    notices: list[dict[str, Any]] = field(default_factory=list)  # `notice_row` items
    indicators: list[dict[str, Any]] = field(default_factory=list)  # `indicator_row` rows
    _spot: list[dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.today = self.today or max(self.bars["date"])
        self.klines = kline_table(self.bars)
        for code, series in self.indices.items():
            frame = series.assign(symbol=code, prev_close=series["close"].shift(1).fillna(series["close"]), name="")
            self.klines.update(kline_table(frame))
        self.dividends = dividend_rows(self.actions)

    def calls(self, path: str | None = None) -> int:
        return sum(1 for s in self.seen if path is None or s["path"] == path)

    def respond(self, method: str, path: str, query: dict[str, str], body: bytes, fault: str) -> tuple[int, Any] | None:
        self.seen.append({"path": path, "query": query})
        if self.over_quota("client"):  # eastmoney counts a client's calls to all its endpoints
            return None  # eastmoney drops a client that calls too fast
        if path == "/api/qt/clist/get":
            return 200, self._clist(query)
        if path == "/api/qt/stock/kline/get":
            return 200, self._kline(query)
        if path == "/api/data/v1/get":
            return 200, self._datacenter(query)
        if path == "/api/security/ann":
            return 200, self._notices(query)
        if path == "/securities/api/data/v1/get":
            return 200, self._finance(query)
        return 404, {"rc": 102, "data": None}

    def _clist(self, query: dict[str, str]) -> dict[str, Any]:
        if self._spot is None:
            self._spot = self._spot_rows()
        rows = self._spot
        page, size = int(query.get("pn", 1)), int(query.get("pz", 20))
        diff = rows[(page - 1) * size : page * size]
        return {"rc": 0, "rt": 6, "svr": 181669437, "lt": 1, "full": 1, "dlmkts": "",
                "data": {"total": len(rows), "diff": diff} if diff else None}  # fmt: skip

    def _spot_rows(self) -> list[dict[str, Any]]:
        # the spot list of `today`, built once: every stock listed that day, "-" where it has no bar
        day = self.today
        assert day is not None
        spans = self.bars.groupby("symbol")["date"].agg(["min", "max"])
        listed = spans[(spans["min"] <= day) & (spans["max"] >= day)].index
        today = {str(r["symbol"]): r for r in self.bars[self.bars["date"] == day].to_dict("records")}
        last_name = self.bars[self.bars["date"] <= day].groupby("symbol")["name"].last()
        stamp = int(datetime.combine(day, time(15, 0, 5), tzinfo=SHANGHAI).timestamp())
        rows = []
        for symbol in sorted(listed):
            code = str(symbol).split(".")[0]
            if symbol in today:
                b = today[symbol]
                rows.append({"f2": float(b["close"]), "f3": round((b["close"] / b["prev_close"] - 1) * 100, 2),
                             "f5": float(b["volume"]) / 100, "f6": float(b["amount"]), "f12": code,
                             "f13": int(secid_of(str(symbol))[0]), "f14": str(b["name"]), "f15": float(b["high"]),
                             "f16": float(b["low"]), "f17": float(b["open"]), "f18": float(b["prev_close"]),
                             "f124": stamp})  # fmt: skip
            else:
                rows.append({"f2": "-", "f3": "-", "f5": "-", "f6": "-", "f12": code,
                             "f13": int(secid_of(str(symbol))[0]), "f14": str(last_name[symbol]), "f15": "-",
                             "f16": "-", "f17": "-", "f18": "-", "f124": stamp})  # fmt: skip
        return rows

    def _kline(self, query: dict[str, str]) -> dict[str, Any]:
        head = {"rc": 0, "rt": 17, "svr": 177617936, "lt": 1, "full": 0, "dlmkts": ""}
        secid = query.get("secid", "")
        frame = self.klines.get(secid)
        beg = datetime.strptime(query.get("beg", "19700101"), "%Y%m%d").date()
        end = datetime.strptime(query.get("end", "20500101"), "%Y%m%d").date()
        inside = frame[(frame["date"] >= beg) & (frame["date"] <= end)] if frame is not None else None
        if frame is None or inside is None or inside.empty:
            return {**head, "data": None}
        before = frame[frame["date"] < beg]
        pre = float(before["close"].iloc[-1]) if len(before) else float(inside["prev_close"].iloc[0])
        market, code = secid.split(".")
        return {**head, "data": {"code": code, "market": int(market), "name": str(inside["name"].iloc[-1]),
                                 "decimal": 2, "dktotal": len(frame), "preKPrice": pre,
                                 "klines": list(inside["line"])}}  # fmt: skip

    def _datacenter(self, query: dict[str, str]) -> dict[str, Any]:
        wanted = EX_DATE_FILTER.search(query.get("filter", ""))
        rows = [r for r in self.dividends if wanted and r["EX_DIVIDEND_DATE"].startswith(wanted.group(1))]
        if query.get("reportName") != "RPT_SHAREBONUS_DET" or not rows:
            return {"version": None, "result": None, "success": False, "message": "返回数据为空", "code": 9201}
        return {"version": "b3a4ea4e8a5c5c8a", "result": {"pages": 1, "data": rows, "count": len(rows)},
                "success": True, "message": "ok", "code": 0}  # fmt: skip

    def _notices(self, query: dict[str, str]) -> dict[str, Any]:
        first, last = query.get("begin_time", "0000-00-00"), query.get("end_time", "9999-99-99")
        rows = [r for r in self.notices if first <= r["notice_date"][:10] <= last]
        page, size = int(query.get("page_index", 1)), int(query.get("page_size", 50))
        return {"data": {"list": rows[(page - 1) * size : page * size], "page_index": page, "page_size": size,
                         "total_hits": len(rows)}, "error": "", "success": 1}  # fmt: skip

    def _finance(self, query: dict[str, str]) -> dict[str, Any]:
        text = query.get("filter", "")
        start, before = NOTICE_FROM.search(text), NOTICE_BEFORE.search(text)
        rows = [
            r for r in self.indicators
            if (start is None or r["NOTICE_DATE"][:10] >= start.group(1))
            and (before is None or r["NOTICE_DATE"][:10] < before.group(1))
        ]  # fmt: skip
        if query.get("reportName") != "RPT_F10_FINANCE_MAINFINADATA" or not rows:
            return {"version": None, "result": None, "success": False, "message": "返回数据为空", "code": 9201}
        page, size = int(query.get("pageNumber", 1)), int(query.get("pageSize", 50))
        pages = -(-len(rows) // size)
        return {"version": "", "result": {"pages": pages, "data": rows[(page - 1) * size : page * size],
                "count": len(rows)}, "success": True, "message": "ok", "code": 0}  # fmt: skip
