"""What a bar store holds, in the numbers a trader checks first (boards, ST, suspensions, listings...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from alphamoe.market.bars import BarStore

_COLUMNS = ["date", "symbol", "name", "open", "high", "low", "close", "prev_close", "st", "listing_index"]


@dataclass(frozen=True)
class MarketSummary:
    source: str
    symbols: int
    sessions: int
    first: date
    last: date
    rows: int
    boards: dict[str, int]
    st_stocks: int  # stocks with at least one ST/*ST bar
    st_rows: int
    suspended_days: int  # stock-days between a stock's first and last bar without a bar
    listings: int  # bars with listing_index 0
    delisted: int
    ex_rights_days: int  # bars named XD/XR/DR
    locked_days: int  # one-price bars (open = high = low = close) away from the previous close
    skipped_rows: int

    def table_rows(self) -> list[tuple[str, str]]:
        boards = " · ".join(f"{board} {count:,}" for board, count in self.boards.items())
        return [
            ("source", self.source),
            ("symbols", f"{self.symbols:,}"),
            ("sessions", f"{self.sessions:,} ({self.first} … {self.last})"),
            ("bars", f"{self.rows:,}"),
            ("boards", boards),
            ("ST / *ST", f"{self.st_stocks:,} stocks, {self.st_rows:,} bars"),
            ("suspended stock-days", f"{self.suspended_days:,}"),
            ("listing days", f"{self.listings:,}"),
            ("delisted", f"{self.delisted:,}"),
            ("ex-rights days (XD/XR/DR)", f"{self.ex_rights_days:,}"),
            ("limit-locked days", f"{self.locked_days:,}"),
            ("skipped input rows", f"{self.skipped_rows:,}"),
        ]


def _source(meta: dict[str, object]) -> str:
    if "generator" in meta:
        return f"{meta['generator']} seed {meta.get('seed')}"
    if "importer" in meta:
        return f"{meta['importer']} import of {meta.get('source')}"
    return "unknown"


def summarize(store: BarStore) -> MarketSummary:
    """Return the summary of every bar in `store` (reads all years, a few columns)."""
    bars = store.frame(columns=_COLUMNS)
    instruments = store.instruments()
    meta = store.meta()
    dates = np.array(sorted(bars["date"].unique()), dtype=object)
    day_no = pd.Series(np.arange(len(dates)), index=pd.Index(dates)).reindex(bars["date"]).to_numpy()
    per_stock = pd.DataFrame({"symbol": bars["symbol"].to_numpy(), "day": day_no}).groupby("symbol")["day"]
    span = per_stock.max() - per_stock.min() + 1
    one_price = (bars["open"] == bars["high"]) & (bars["high"] == bars["low"]) & (bars["low"] == bars["close"])
    skipped = meta.get("skipped", {})
    return MarketSummary(
        source=_source(meta),
        symbols=int(bars["symbol"].nunique()),
        sessions=len(dates),
        first=dates[0],
        last=dates[-1],
        rows=len(bars),
        boards={str(k): int(v) for k, v in instruments["board"].value_counts().items()},
        st_stocks=int(bars.loc[bars["st"], "symbol"].nunique()),
        st_rows=int(bars["st"].sum()),
        suspended_days=int((span - per_stock.count()).sum()),
        listings=int((bars["listing_index"] == 0).sum()),
        delisted=int(instruments["delist_date"].notna().sum()),
        ex_rights_days=int(bars["name"].str.match(r"^(?:XD|XR|DR)").sum()),
        locked_days=int((one_price & (bars["close"] != bars["prev_close"])).sum()),
        skipped_rows=sum(int(v) for v in skipped.values()) if isinstance(skipped, dict) else 0,
    )
