"""tushare pro as a MarketSource: the whole market of a session in a handful of calls.

| what                         | endpoint (params)                                 | units / notes            |
| ---------------------------- | ------------------------------------------------- | ------------------------ |
| sessions                     | `trade_cal(exchange="SSE", start_date, end_date)` | is_open == 1             |
| bars with the previous close | `daily(trade_date)`                               | vol 手, amount 千元       |
| names on the day, ST flags   | `namechange()` once; `stock_basic` for the rest   | ST/*ST from the name     |
| listings and delistings      | `stock_basic(list_status=L, D, P)` once           | list_date, delist_date   |
| suspensions                  | `suspend_d(trade_date, suspend_type="S")`         | no daily row that day    |
| corporate actions            | `dividend(ex_date)`                               | div_proc 实施; no 配股    |
| benchmark indices            | `index_daily(ts_code, trade_date)` per index      | vol 手, amount 千元       |
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from alphamoe.data.actions.layouts import read_tushare_dividends
from alphamoe.data.feeds.frames import day_bars, layout_rows
from alphamoe.data.feeds.protocol import DayBatch
from alphamoe.data.feeds.tushare import TushareClient
from alphamoe.data.importer import stock_symbol
from alphamoe.data.layouts import LOT, THOUSAND, TUSHARE
from alphamoe.data.universe import INDEX_COLUMNS
from alphamoe.errors import DataError
from alphamoe.market.boards import board_of

DAILY_FIELDS = ["ts_code", "trade_date", "open", "high", "low", "close", "pre_close", "change", "vol", "amount"]
BASIC_FIELDS = ["ts_code", "name", "industry", "list_date", "delist_date", "list_status"]
NAMECHANGE_FIELDS = ["ts_code", "name", "start_date", "end_date", "ann_date", "change_reason"]
SUSPEND_FIELDS = ["ts_code", "trade_date", "suspend_timing", "suspend_type"]
DIVIDEND_FIELDS = [
    "ts_code", "end_date", "ann_date", "div_proc", "stk_div", "stk_bo_rate", "stk_co_rate", "cash_div",
    "cash_div_tax", "record_date", "ex_date", "pay_date", "div_listdate", "imp_ann_date",
]  # fmt: skip
INDEX_FIELDS = ["ts_code", "trade_date", "open", "high", "low", "close", "vol", "amount"]
DEFAULT_INDICES = ("000001.SH", "000300.SH", "000905.SH", "000852.SH")


def ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def _day(text: object) -> date | None:
    if text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip():
        return None
    return datetime.strptime(str(text).strip()[:8], "%Y%m%d").date()


class TushareSource:
    """The whole A-share market of a session from tushare pro (one client, its pacing and retries)."""

    name = "tushare"

    def __init__(self, client: TushareClient, *, indices: tuple[str, ...] = DEFAULT_INDICES) -> None:
        self.client = client
        self.indices = indices
        self._basic: pd.DataFrame | None = None
        self._names: pd.DataFrame | None = None

    def sessions(self, start: date, end: date) -> list[date]:
        cal = self.client.query(
            "trade_cal",
            {"exchange": "SSE", "start_date": ymd(start), "end_date": ymd(end)},
            ["exchange", "cal_date", "is_open"],
        )
        open_days = cal[cal["is_open"].astype(str) == "1"]["cal_date"]
        return sorted(d for d in (_day(x) for x in open_days) if d is not None)

    def fetch_day(self, day: date) -> DayBatch:
        daily = self.client.query("daily", {"trade_date": ymd(day)}, DAILY_FIELDS)
        if daily.empty:
            raise DataError(f"tushare daily has no rows for {day} (not a session, or not published yet)")
        rows = layout_rows(daily, TUSHARE, what=f"tushare daily({ymd(day)})")
        rows["name"] = self._names_on(day, rows["symbol"])
        suspended = self.client.query("suspend_d", {"trade_date": ymd(day), "suspend_type": "S"}, SUSPEND_FIELDS)
        dividends = self.client.query("dividend", {"ex_date": ymd(day)}, DIVIDEND_FIELDS)
        actions = read_tushare_dividends(dividends, f"tushare dividend(ex_date={ymd(day)})")
        return DayBatch(
            day=day,
            bars=day_bars(rows, day),
            instruments=self._instruments(),
            actions=[a for a in actions.actions if a.ex_date == day],
            index_bars=self._index_bars(day),
            suspended=sorted({s for s in (stock_symbol(str(c)) for c in suspended["ts_code"]) if s}),
            notes=[f"dividend rows skipped: {count} × {reason}" for reason, count in actions.report.skipped.items()],
        )

    def _stock_basic(self) -> pd.DataFrame:
        if self._basic is None:
            parts = [self.client.query_all("stock_basic", {"list_status": s}, BASIC_FIELDS) for s in ("L", "D", "P")]
            self._basic = pd.concat(parts, ignore_index=True).drop_duplicates("ts_code", keep="first")
        return self._basic

    def _names_on(self, day: date, codes: pd.Series) -> pd.Series:
        # the name in force on `day` (namechange: start_date ≤ day ≤ end_date), else stock_basic's current one
        if self._names is None:
            names = self.client.query_all("namechange", {}, NAMECHANGE_FIELDS)
            names["start"] = names["start_date"].map(_day)
            names["end"] = names["end_date"].map(_day)
            self._names = names.sort_values("start", kind="stable")
        names = self._names
        live = names[(names["start"] <= day) & (names["end"].isna() | (names["end"] >= day))]
        on_day = live.drop_duplicates("ts_code", keep="last").set_index("ts_code")["name"]
        current = self._stock_basic().set_index("ts_code")["name"]
        return codes.map(on_day).fillna(codes.map(current)).fillna("")

    def _instruments(self) -> pd.DataFrame:
        basic = self._stock_basic()
        symbols = basic["ts_code"].map(lambda c: stock_symbol(str(c)))
        basic = basic.assign(symbol=symbols).dropna(subset=["symbol"])
        return pd.DataFrame(
            {
                "symbol": basic["symbol"].astype(str),
                "name": basic["name"].astype(str),
                "board": [board_of(s).value for s in basic["symbol"]],
                "industry": basic["industry"].where(basic["industry"].notna(), None),
                "list_date": basic["list_date"].map(_day),
                "delist_date": basic["delist_date"].map(_day),
            }
        ).reset_index(drop=True)

    def _index_bars(self, day: date) -> pd.DataFrame | None:
        parts = []
        for code in self.indices:
            rows = self.client.query("index_daily", {"ts_code": code, "trade_date": ymd(day)}, INDEX_FIELDS)
            if rows.empty:
                continue
            parts.append(
                pd.DataFrame(
                    {
                        "code": code,
                        "date": day,
                        **{c: pd.to_numeric(rows[c], errors="coerce") for c in ("open", "high", "low", "close")},
                        "volume": pd.to_numeric(rows["vol"], errors="coerce") * LOT,
                        "amount": pd.to_numeric(rows["amount"], errors="coerce") * THOUSAND,
                    }
                )
            )
        if not parts:
            return None
        return pd.concat(parts, ignore_index=True).loc[:, ["code", *INDEX_COLUMNS]]
