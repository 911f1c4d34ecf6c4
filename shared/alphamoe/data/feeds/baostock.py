"""baostock as a MarketSource: a session's whole market over baostock's TCP protocol (`baostock_client`).

| what              | call (baostock function)                                   | notes                              |
| ----------------- | ---------------------------------------------------------- | ---------------------------------- |
| sessions          | `query_trade_dates(start, end)`                            | is_trading_day == "1"              |
| bars of the day   | `query_daily_history_k_AStock(day)`: every stock, one call  | preclose, isST, tradestatus        |
| names of the day  | `query_all_stock(day)`: code, tradeStatus, code_name       | pages of 2,000                     |
| benchmark indices | `query_history_k_data_plus("sh.000300", …, day, day)`       | one call per index                 |
| or, per stock     | `query_history_k_data_plus(code, FIELDS, day, day, "d", "3")` | each `query_all_stock` code |

Rows are baostock's `data import` layout (BAOSTOCK: volume in shares, amount in CNY, `preclose` the exchange's
previous close, `isST` the risk-warning flag); `tradestatus` 0 rows are suspended stocks (listed in
`suspended`, no bar); prices other than raw (`adjustflag` 3) are refused. The per-stock path is the one
baostock documents for history (5,500 calls a day); the whole-market call (baostock ≥ 0.9.4) makes a
session one call. No corporate actions: `query_dividend_data` is one call per stock and year.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from alphamoe.data.feeds.baostock_client import ALL_STOCK, DAILY_ALL_STOCKS, K_DATA_PLUS, TRADE_DATES, BaostockClient
from alphamoe.data.feeds.frames import day_bars, layout_rows
from alphamoe.data.feeds.protocol import DayBatch
from alphamoe.data.feeds.tushare_market import DEFAULT_INDICES
from alphamoe.data.importer import numbers, stock_symbol
from alphamoe.data.layouts import BAOSTOCK
from alphamoe.data.universe import INDEX_COLUMNS
from alphamoe.errors import DataError

FIELDS = "date,code,open,high,low,close,preclose,volume,amount,adjustflag,tradestatus,isST"
INDEX_FIELDS = "date,code,open,high,low,close,volume,amount"
RAW = "3"  # adjustflag: 3 = not adjusted


def bs_code(code: str) -> str:
    """Return baostock's code of a symbol or index code: 600000.SH → sh.600000."""
    digits, _, exchange = code.partition(".")
    return f"{exchange.lower()}.{digits}"


class BaostockSource:
    """The whole A-share market of a session from baostock."""

    name = "baostock"

    def __init__(
        self, client: BaostockClient, *, indices: tuple[str, ...] = DEFAULT_INDICES, per_stock: bool = False
    ) -> None:
        self.client = client
        self.indices = indices
        self.per_stock = per_stock

    def sessions(self, start: date, end: date) -> list[date]:
        rows = self.client.query(TRADE_DATES, [start.isoformat(), end.isoformat()])
        return [date.fromisoformat(d) for d, t in zip(rows["calendar_date"], rows["is_trading_day"], strict=True)
                if str(t).strip() == "1"]  # fmt: skip

    def fetch_day(self, day: date) -> DayBatch:
        iso = day.isoformat()
        listing = self.client.query(ALL_STOCK, [iso])
        if self.per_stock:
            codes = [c for c in listing["code"] if stock_symbol(str(c))]
            parts = [self.client.query(K_DATA_PLUS, [c, FIELDS, iso, iso, "d", RAW]) for c in codes]
            rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FIELDS.split(","))
        else:
            rows = self.client.query(DAILY_ALL_STOCKS, [iso])
        rows = rows[rows["date"].astype(str) == iso]
        if rows.empty:
            raise DataError(f"baostock has no A-share bar of {day}")
        adjusted = set(rows["adjustflag"].astype(str)) - {RAW}
        if adjusted:
            raise DataError(f"baostock answered adjusted prices (adjustflag {sorted(adjusted)}) for {day}")
        rows = rows.assign(code_name=rows["code"].map(dict(zip(listing["code"], listing["code_name"], strict=True))))
        halted = rows["tradestatus"].astype(str).str.strip() == "0"
        bars = layout_rows(rows[~halted], BAOSTOCK, what=f"baostock {day}")
        suspended = sorted(s for s in (stock_symbol(str(c)) for c in rows.loc[halted, "code"]) if s)
        return DayBatch(
            day=day,
            bars=day_bars(bars, day),
            index_bars=self._index_bars(day),
            suspended=suspended,
            notes=["baostock: no corporate actions (query_dividend_data is per stock and year)"],
        )

    def _index_bars(self, day: date) -> pd.DataFrame | None:
        iso = day.isoformat()
        parts = []
        for code in self.indices:
            rows = self.client.query(K_DATA_PLUS, [bs_code(code), INDEX_FIELDS, iso, iso, "d", RAW])
            rows = rows[rows["date"].astype(str) == iso]
            if rows.empty:
                continue
            values = {c: numbers(rows[c]) for c in ("open", "high", "low", "close", "volume", "amount")}
            parts.append(pd.DataFrame({"code": code, "date": day, **values}))
        if not parts:
            return None
        return pd.concat(parts, ignore_index=True).loc[:, ["code", *INDEX_COLUMNS]]
