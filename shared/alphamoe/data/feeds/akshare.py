"""akshare as a MarketSource: our own client of the eastmoney HTTP endpoints akshare's functions call.

akshare hardcodes eastmoney's hosts, so we speak the same HTTP with the URLs as settings
(ALPHAMOE_DATA_SOURCE__EASTMONEY_*_URL). Parameters and fields as in akshare's source
(`akshare/stock_feature/stock_hist_em.py`, `akshare/stock/stock_fhps_em.py`):

| what                 | akshare function     | endpoint (default host)                              |
| -------------------- | -------------------- | ---------------------------------------------------- |
| today's whole market | `stock_zh_a_spot_em` | `82.push2.eastmoney.com/api/qt/clist/get`            |
| a stock's days       | `stock_zh_a_hist`    | `push2his.eastmoney.com/api/qt/stock/kline/get`      |
| an index's days      | `index_zh_a_hist`    | the same, secid `1.000300` / `0.399001`              |
| dividends going ex   | `stock_fhps_em`      | `datacenter-web.eastmoney.com/api/data/v1/get`       |

clist answers `data.total` and `data.diff[]`: f12 code, f14 name, f17 open, f15 high, f16 low, f2 last,
f18 previous close, f5 volume (手), f6 amount (CNY), f124 quote time (epoch s); "-" where a stock has not traded.
kline answers `data.klines[]` of "date,open,close,high,low,volume(手),amount,amplitude,pct,chg,turnover" and
`data.preKPrice` (the close before `beg`); `data: null` when there is nothing (no such stock, no trade in range).
RPT_SHAREBONUS_DET answers `result.data[]` (SECURITY_CODE, ASSIGN_PROGRESS, EX_DIVIDEND_DATE, PRETAX_BONUS_RMB,
BONUS_RATIO, IT_RATIO per 10 shares); `result: null` when no row matches.
clist: `pn`, `pz` (100 a page: eastmoney caps the page), `po=1`, `np=1`, `fltt=2`, `invt=2`, `fid=f12`,
`fs` = the A-share boards, `fields`. kline: `secid` (`1.` Shanghai, `0.` Shenzhen and Beijing), `klt=101`
(daily), `fqt=0` (raw prices), `beg`/`end` (YYYYMMDD), `fields1=f1…f6`, `fields2=f51…f61`.

The previous close: the spot list's f18 is the exchange's (ex-rights). A kline holds none, and its 涨跌额 is
against the previous kline's raw close, not the ex-rights reference (000066 on 2022-07-20, quoted in
waditu/tushare#1805: close 9.88, 涨跌额 −0.06 from the raw 9.94; the exchange's previous close was 9.89). So a
past day takes the previous kline's close to the ex-rights reference by the day's actions (eastmoney's 分红送配
and the store's published ones), as the TDX source does. A past day's bars carry no name (a kline's name is
today's, and today's ST would be put on an old day): the updater gives each stock its last stored name.
A past day's universe is the stocks the spot list holds today: a stock delisted since is not fetched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import pandas as pd

from alphamoe.data.actions.layouts import read_akshare_dividends
from alphamoe.data.actions.model import CorporateAction
from alphamoe.data.feeds.frames import day_bars, reference_close
from alphamoe.data.feeds.pacing import RateLimiter, Retry, RetryableError, VendorRefusedError
from alphamoe.data.feeds.protocol import DayBatch
from alphamoe.data.feeds.tdx import ActionsOn
from alphamoe.data.feeds.tushare_market import DEFAULT_INDICES
from alphamoe.data.importer import numbers, stock_symbol
from alphamoe.data.layouts import LOT
from alphamoe.data.universe import INDEX_COLUMNS
from alphamoe.errors import DataError

SPOT_URL = "https://82.push2.eastmoney.com/api/qt/clist/get"
KLINE_URL = "https://push2his.eastmoney.com/api/qt/stock/kline/get"
DIVIDEND_URL = "https://datacenter-web.eastmoney.com/api/data/v1/get"
A_SHARE_BOARDS = "m:0 t:6,m:0 t:80,m:1 t:2,m:1 t:23,m:0 t:81 s:2048"  # SZ main, ChiNext, SH main, STAR, BSE
SPOT_FIELDS = "f2,f3,f5,f6,f12,f13,f14,f15,f16,f17,f18,f124"
SPOT_PAGE = 100
KLINE_FIELDS = ("date", "open", "close", "high", "low", "volume", "amount", "amplitude", "pct", "chg", "turnover")
KLINE_LOOKBACK_DAYS = 40  # calendar days before the day: the previous kline is almost always inside
DIVIDEND_COLUMNS = {  # RPT_SHAREBONUS_DET → akshare's 分红 columns (per 10 shares), read by read_akshare_dividends
    "SECURITY_CODE": "代码", "ASSIGN_PROGRESS": "进度", "EX_DIVIDEND_DATE": "除权除息日",
    "PRETAX_BONUS_RMB": "派息", "BONUS_RATIO": "送股", "IT_RATIO": "转增",
    "EQUITY_RECORD_DATE": "股权登记日", "PLAN_NOTICE_DATE": "公告日期",
}  # fmt: skip
SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSE = time(15, 0)


def secid(code: str) -> str:
    """Return eastmoney's secid of a stock code (600000) or an index (000300.SH): market 1 Shanghai, 0 the rest."""
    digits, _, exchange = code.partition(".")
    if exchange:
        return f"{1 if exchange.upper() == 'SH' else 0}.{digits}"
    return f"{1 if digits.startswith(('6', '9')) else 0}.{digits}"


class EastmoneyClient:
    """GET eastmoney JSON endpoints, paced by a RateLimiter and retried by a Retry policy.

    eastmoney answers a client that calls too fast by dropping the connection: that, a timeout and a 5xx are
    retried with backoff; a 4xx is refused at once.
    """

    def __init__(
        self,
        *,
        limiter: RateLimiter | None = None,
        retry: Retry | None = None,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.limiter = limiter or RateLimiter(0)
        self.retry = retry or Retry()
        self.calls = 0
        self._http = httpx.Client(timeout=timeout_s, transport=transport, headers={"User-Agent": "alphamoe"})

    def close(self) -> None:
        self._http.close()

    def get(self, url: str, params: dict[str, str], what: str) -> dict[str, Any]:
        """Return the JSON answer of `url` with `params`."""
        return self.retry.call(what, lambda: self._once(url, params, what))

    def _once(self, url: str, params: dict[str, str], what: str) -> dict[str, Any]:
        self.limiter.wait()
        self.calls += 1
        try:
            response = self._http.get(url, params=params)
        except httpx.TransportError as exc:
            raise RetryableError(f"{what}: {type(exc).__name__} {exc} ({url})") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryableError(f"{what}: HTTP {response.status_code} from {url}")
        if response.status_code >= 400:
            raise VendorRefusedError(f"{what}: HTTP {response.status_code} from {url}: {response.text[:200]}")
        try:
            answer: dict[str, Any] = response.json()
        except json.JSONDecodeError:
            raise RetryableError(f"{what}: the answer is not JSON: {response.text[:200]!r}") from None
        return answer


class AkshareSource:
    """The whole A-share market of a session from eastmoney, the way akshare reads it."""

    name = "akshare"

    def __init__(
        self,
        client: EastmoneyClient,
        *,
        spot_url: str = SPOT_URL,
        kline_url: str = KLINE_URL,
        dividend_url: str = DIVIDEND_URL,
        indices: tuple[str, ...] = DEFAULT_INDICES,
        actions_on: ActionsOn | None = None,
    ) -> None:
        self.client = client
        self.spot_url, self.kline_url, self.dividend_url = spot_url, kline_url, dividend_url
        self.indices = indices
        self.actions_on = actions_on
        self._spot: pd.DataFrame | None = None

    def sessions(self, start: date, end: date) -> list[date]:
        # the days the SSE Composite traded: one kline call
        klines = self.klines("000001.SH", start, end)
        return [d for d in klines["date"] if start <= d <= end]

    def fetch_day(self, day: date) -> DayBatch:
        spot = self.spot()
        actions = self.dividends(day)
        if _closed_on(spot["quoted_at"], day):
            traded = spot["close"].astype(str).str.strip() != "-"
            rows = spot.loc[traded, ["symbol", "name", "open", "high", "low", "close", "prev_close"]].assign(
                volume=numbers(spot.loc[traded, "volume"]) * LOT, amount=spot.loc[traded, "amount"]
            )
            suspended = sorted(spot.loc[~traded, "symbol"])
            notes = ["akshare: today's bars from the spot list (stock_zh_a_spot_em), previous close f18"]
        else:
            rows, suspended = self._history_rows(day, spot["symbol"], actions), []
            notes = ["akshare: a past day from each stock's klines; previous close ex-rights by known actions"]
        if rows.empty:
            raise DataError(f"eastmoney has no A-share bar of {day}")
        return DayBatch(
            day=day,
            bars=day_bars(rows, day),
            actions=actions,
            index_bars=self._index_bars(day),
            suspended=[s for s in suspended if s],
            notes=notes,
        )

    def spot(self) -> pd.DataFrame:
        """Return the spot list (every listed A-share, its last quote and `quoted_at`), read once per source."""
        if self._spot is None:
            items: list[dict[str, Any]] = []
            page, total = 1, None
            while total is None or len(items) < total:
                params = {"pn": str(page), "pz": str(SPOT_PAGE), "po": "1", "np": "1", "fltt": "2", "invt": "2",
                          "fid": "f12", "fs": A_SHARE_BOARDS, "fields": SPOT_FIELDS}  # fmt: skip
                answer = self.client.get(self.spot_url, params, f"eastmoney clist(pn={page})")
                data = answer.get("data") or {}
                diff = data.get("diff") or []
                items.extend(diff.values() if isinstance(diff, dict) else diff)
                total = int(data.get("total") or 0)
                if not diff:
                    break
                page += 1
            self._spot = _spot_frame(items)
        return self._spot

    def klines(self, code: str, start: date, end: date) -> pd.DataFrame:
        """Return a stock's or index's raw daily klines start … end (`prev_kline`: the close before start)."""
        params = {"secid": secid(code), "fields1": "f1,f2,f3,f4,f5,f6",
                  "fields2": "f51,f52,f53,f54,f55,f56,f57,f58,f59,f60,f61", "klt": "101", "fqt": "0",
                  "beg": start.strftime("%Y%m%d"), "end": end.strftime("%Y%m%d")}  # fmt: skip
        answer = self.client.get(self.kline_url, params, f"eastmoney kline({params['secid']}, {start} … {end})")
        data = answer.get("data") or {}
        lines = [str(k).split(",") for k in data.get("klines") or []]
        frame = pd.DataFrame([k[: len(KLINE_FIELDS)] for k in lines], columns=list(KLINE_FIELDS))
        frame["date"] = [datetime.strptime(d, "%Y-%m-%d").date() for d in frame["date"]]
        return frame.assign(prev_kline=data.get("preKPrice"))

    def dividends(self, day: date) -> list[CorporateAction]:
        """Return the cash dividends, bonus and capitalisation shares going ex on `day` (RPT_SHAREBONUS_DET)."""
        params = {"reportName": "RPT_SHAREBONUS_DET", "columns": "ALL", "pageNumber": "1", "pageSize": "5000",
                  "sortColumns": "SECURITY_CODE", "sortTypes": "1", "source": "WEB", "client": "WEB",
                  "filter": f"(EX_DIVIDEND_DATE='{day.isoformat()}')"}  # fmt: skip
        what = f"eastmoney RPT_SHAREBONUS_DET(ex {day})"
        answer = self.client.get(self.dividend_url, params, what)
        result = answer.get("result") or {}
        rows = pd.DataFrame(result.get("data") or [])
        if rows.empty:
            return []
        frame = rows.loc[:, [c for c in DIVIDEND_COLUMNS if c in rows.columns]].rename(columns=DIVIDEND_COLUMNS)
        frame["进度"] = frame["进度"].astype(str).map(lambda p: "实施" if p.startswith("实施") else p)
        actions = read_akshare_dividends(frame, what, source="akshare:RPT_SHAREBONUS_DET").actions
        return [a for a in actions if a.ex_date == day]

    def _history_rows(self, day: date, symbols: Iterable[str], actions: list[CorporateAction]) -> pd.DataFrame:
        # each stock's klines up to the day; the previous close from the kline before, ex-rights by the day's actions
        known = self.actions_on(day) if self.actions_on is not None else []
        by_symbol: dict[str, list[CorporateAction]] = {}
        for action in known:
            by_symbol.setdefault(action.symbol, []).append(action)
        for symbol in {a.symbol for a in actions}:  # eastmoney's own actions of the day replace stored ones
            by_symbol[symbol] = [a for a in actions if a.symbol == symbol]
        rows = []
        start = day - timedelta(days=KLINE_LOOKBACK_DAYS)
        for symbol in symbols:
            klines = self.klines(symbol.split(".")[0], start, day)
            at = np.flatnonzero(klines["date"].to_numpy() == day)
            if not len(at):
                continue  # no trade that day (suspended, or not listed yet)
            i = int(at[-1])
            before = klines["close"].iloc[i - 1] if i > 0 else klines["prev_kline"].iloc[i]
            prev = _number(before)
            kline = klines.iloc[i]
            rows.append(
                {
                    "symbol": symbol,
                    "name": "",
                    **{c: kline[c] for c in ("open", "high", "low", "close")},
                    "prev_close": reference_close(prev, by_symbol.get(symbol, [])) if prev else float("nan"),
                    "volume": _float(kline["volume"]) * LOT,
                    "amount": kline["amount"],
                }
            )
        return pd.DataFrame(
            rows, columns=["symbol", "name", "open", "high", "low", "close", "prev_close", "volume", "amount"]
        )

    def _index_bars(self, day: date) -> pd.DataFrame | None:
        parts = []
        for code in self.indices:
            klines = self.klines(code, day, day)
            klines = klines[klines["date"] == day]
            if klines.empty:
                continue
            parts.append(
                pd.DataFrame(
                    {
                        "code": code,
                        "date": day,
                        **{c: numbers(klines[c]) for c in ("open", "high", "low", "close", "amount")},
                        "volume": numbers(klines["volume"]) * LOT,
                    }
                )
            )
        if not parts:
            return None
        return pd.concat(parts, ignore_index=True).loc[:, ["code", *INDEX_COLUMNS]]


def _spot_frame(items: list[dict[str, Any]]) -> pd.DataFrame:
    # clist rows → canonical columns (text kept: "-" marks a stock that has not traded) and the quote's day
    frame = pd.DataFrame(items, columns=["f2", "f5", "f6", "f12", "f14", "f15", "f16", "f17", "f18", "f124"])
    stamps = pd.to_numeric(frame["f124"], errors="coerce")
    return pd.DataFrame(
        {
            "symbol": [stock_symbol(str(c)) for c in frame["f12"]],
            "name": frame["f14"].fillna("").astype(str),
            "open": frame["f17"],
            "high": frame["f15"],
            "low": frame["f16"],
            "close": frame["f2"],
            "prev_close": frame["f18"],
            "volume": frame["f5"],
            "amount": frame["f6"],
            "quoted_at": pd.to_datetime(stamps, unit="s", utc=True).dt.tz_convert(SHANGHAI),
        }
    ).dropna(subset=["symbol"])


def _closed_on(quoted_at: pd.Series, day: date) -> bool:
    # the spot list is that day's close when its last quote is from the day, after 15:00
    stamps = quoted_at.dropna()
    if stamps.empty:
        return False
    latest = pd.Timestamp(stamps.max())
    return bool(latest.date() == day and latest.time() >= CLOSE)


def _float(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:
        return float("nan")


def _number(value: object) -> Decimal | None:
    # a kline's price text as an exact Decimal; None when absent or not a positive number
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() and number > 0 else None
