"""Corporate actions inferred from the exchange's ex-rights previous close, for sources that publish no table.

On an ex date the exchange prints a previous close below the last close: the reference price of
`model.reference_price`. Where a stock's previous close is more than a tick below its last bar's close (or
a tick below on a day whose name marks it XD/XR/DR), solve that rule backwards:

- a clean share ratio — whole new shares per 10 held (10送10 → 1.0, 10转5 → 0.5), the largest that the step
  allows — whose reference matches the exchange's (to the tick, or within a tick of its old rounding) is a
  share distribution, plus the cash that makes the reference exact when the step is larger (10送5派1);
- any smaller step is a cash dividend of last close − previous close.

Limits, stated so no one mistakes a guess for a record: prices cannot tell 送股 from 转增 (recorded as
capitalisation shares, which carry no tax), nor a rights issue from a distribution, nor a cash dividend above
~9% of the price from 10送1; a dividend of under a tick rounds away; no pay date is known. Every inferred
action carries `inferred=True`, `data check` lists it, and published records of a stock replace them all.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from alphamoe.data.actions.model import ActionKind, CorporateAction, per_share, reference_price
from alphamoe.data.names import name_flags
from alphamoe.market.bands import to_fen
from alphamoe.market.ticks import tick_size

SOURCE = "inferred:prev_close"
SHARE_STEP = Decimal("0.1")  # share ratios are whole shares per 10 held


@dataclass(frozen=True)
class Distribution:
    """What one ex-rights step solves to: new shares and cash per share held."""

    shares: Decimal
    cash: Decimal


def solve_step(last_close: Decimal, previous_close: Decimal) -> Distribution:
    """Return the distribution that takes `last_close` to the exchange's `previous_close` (see the module)."""
    tick = tick_size()
    for k in range(math.ceil((last_close / previous_close - 1) / SHARE_STEP), 0, -1):
        shares = SHARE_STEP * k
        cash = last_close - previous_close * (1 + shares)
        implied = reference_price(last_close, shares=shares)
        if implied == previous_close:
            return Distribution(per_share(shares), Decimal(0))
        if cash > 0:
            return Distribution(per_share(shares), cash)
        if abs(implied - previous_close) <= tick:
            return Distribution(per_share(shares), Decimal(0))
    return Distribution(Decimal(0), last_close - previous_close)


def infer_actions(bars: pd.DataFrame) -> list[CorporateAction]:
    """Return the actions the previous closes of a long bar frame (BAR_COLUMNS) imply, marked `inferred`."""
    frame = bars.loc[:, ["symbol", "date", "name", "close", "prev_close"]]
    frame = frame.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
    same = frame["symbol"].eq(frame["symbol"].shift(1)).to_numpy()
    last = np.concatenate([[0], to_fen(frame["close"].to_numpy())[:-1]])
    prev = to_fen(frame["prev_close"].to_numpy())
    flags = name_flags(frame["name"])
    marked = (flags["ex_dividend"] | flags["ex_rights"] | flags["ex_both"]).to_numpy()
    step = last - prev
    rows = np.flatnonzero(same & (prev > 0) & ((step > 1) | ((step == 1) & marked)))
    sessions = sorted(set(frame["date"]))
    symbols, dates = frame["symbol"].to_numpy(), frame["date"].to_numpy()
    actions: list[CorporateAction] = []
    for i in rows:
        symbol, ex_date = str(symbols[i]), dates[i]
        found = solve_step(Decimal(int(last[i])) / 100, Decimal(int(prev[i])) / 100)
        actions.extend(_records(symbol, ex_date, found, _session_before(sessions, ex_date)))
    return actions


def _session_before(sessions: list[date], day: date) -> date | None:
    i = bisect_left(sessions, day)
    return sessions[i - 1] if i > 0 else None


def _records(symbol: str, ex_date: date, found: Distribution, record_date: date | None) -> list[CorporateAction]:
    common = {"symbol": symbol, "ex_date": ex_date, "record_date": record_date, "source": SOURCE, "inferred": True}
    out = []
    if found.shares > 0:
        out.append(CorporateAction.model_validate({**common, "kind": ActionKind.CAPITALISATION_SHARES,
                                                   "shares": found.shares}))  # fmt: skip
    if found.cash > 0:
        out.append(CorporateAction.model_validate({**common, "kind": ActionKind.CASH_DIVIDEND, "cash": found.cash}))
    return out
