"""Hand-made corporate actions and bars for the corporate-action tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from alphamoe.data.actions.model import ActionKind, CorporateAction


def action(
    symbol: str,
    ex_date: date,
    kind: ActionKind = ActionKind.CASH_DIVIDEND,
    *,
    inferred: bool = False,
    source: str = "test",
    **fields: object,
) -> CorporateAction:
    """Return an action; amounts as strings or Decimals (cash="0.45", shares="1", rights_ratio/rights_price)."""
    values = {
        k: Decimal(str(v)) if k in ("cash", "shares", "rights_ratio", "rights_price") else v for k, v in fields.items()
    }
    if kind is ActionKind.CASH_DIVIDEND and "cash" not in values:
        values["cash"] = Decimal("0.1")
    return CorporateAction.model_validate(
        {"symbol": symbol, "kind": kind, "ex_date": ex_date, "source": source, "inferred": inferred, **values}
    )


def bars(symbol: str, rows: list[tuple[date, float, float]], name: str = "浦发银行") -> pd.DataFrame:
    """Return long bars (BAR_COLUMNS) of one stock from (day, close, prev_close) rows."""
    return pd.DataFrame(
        [
            {"date": day, "symbol": symbol, "name": name, "open": close, "high": close, "low": close,
             "close": close, "prev_close": prev, "volume": 1e6, "amount": close * 1e6, "st": False,
             "listing_index": 100 + i}
            for i, (day, close, prev) in enumerate(rows)
        ]
    )  # fmt: skip
