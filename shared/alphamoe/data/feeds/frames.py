"""Turn one vendor's rows of one session into the store's bar rows, keeping every row for the quality gate.

Unlike `data import`, which skips unreadable rows and counts them, an update must not publish a day with
a row it dropped: a price that is not a number, a negative volume or a missing previous close stays in
the frame (as NaN or the bad number) so that the gate finds it and quarantines the day. Only rows that are
not A-share stocks (indices, funds) are left out: they do not belong in the bar store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from alphamoe.data.actions.model import CorporateAction, ex_rights_reference
from alphamoe.data.feeds.protocol import UNNUMBERED
from alphamoe.data.importer import numbers, stock_symbol
from alphamoe.data.layouts import Layout
from alphamoe.data.names import is_st_name
from alphamoe.errors import DataError
from alphamoe.market.bars import BAR_COLUMNS, PRICE_COLUMNS

VALUES = (*PRICE_COLUMNS, "volume", "amount")


def layout_rows(frame: pd.DataFrame, layout: Layout, *, what: str) -> pd.DataFrame:
    """Return a vendor frame in canonical columns (symbol, name, open … amount), volume in shares, amount in CNY.

    The previous close comes from the layout's column, or close − change when it has only the change.
    """
    picked = {c: layout.pick(frame, c) for c in ("symbol", "open", "high", "low", "close", "volume", "amount")}
    missing = [layout.columns[c][0] for c, col in picked.items() if col is None]
    if missing:
        raise DataError(f"{what} lacks the {layout.name} columns {missing} (has {list(frame.columns)})")
    out = pd.DataFrame({c: frame[str(col)] for c, col in picked.items()}, index=frame.index)
    name = layout.pick(frame, "name")
    out["name"] = frame[name].fillna("").astype(str).str.strip() if name else ""
    prev = layout.pick(frame, "prev_close")
    change = next((c for c in layout.change if c in frame.columns), None)
    if prev is not None:
        out["prev_close"] = numbers(frame[prev])
    elif change is not None:
        out["prev_close"] = (numbers(frame[str(picked["close"])]) - numbers(frame[change])).round(2)
    else:
        out["prev_close"] = np.nan
    out["volume"] = numbers(out["volume"]) * layout.volume_unit
    out["amount"] = numbers(out["amount"]) * layout.amount_unit
    st = next((c for c in layout.st if c in frame.columns), None)
    if st is not None:
        out["st"] = frame[st].astype(str).str.strip() == "1"
    return out


def day_bars(rows: pd.DataFrame, day: date) -> pd.DataFrame:
    """Return canonical rows of one session as BAR_COLUMNS; `st` from the day's name unless given."""
    codes = rows["symbol"].astype(str).str.strip()
    symbols = codes.map({code: stock_symbol(code) for code in codes.unique()})
    keep = symbols.notna()
    frame = pd.DataFrame(
        {
            "date": day,
            "symbol": symbols[keep].astype(str),
            "name": rows.loc[keep, "name"].fillna("").astype(str) if "name" in rows else "",
            **{c: numbers(rows.loc[keep, c]) for c in VALUES},
        }
    )
    if "st" in rows.columns:
        frame["st"] = rows.loc[keep, "st"].astype(bool)
    else:
        frame["st"] = frame["name"].map({n: is_st_name(n) for n in frame["name"].unique()}).astype(bool)
    frame["listing_index"] = np.int32(UNNUMBERED)
    return frame.loc[:, list(BAR_COLUMNS)].sort_values("symbol", kind="stable").reset_index(drop=True)


def reference_close(previous_close: Decimal, actions: Iterable[CorporateAction]) -> float:
    """Return the exchange's previous close from a vendor's raw one: the ex-rights reference when actions go ex.

    For vendors whose rows hold only the previous row's close (TDX files, eastmoney klines).
    """
    actions = list(actions)
    return float(ex_rights_reference(previous_close, actions) if actions else previous_close)
