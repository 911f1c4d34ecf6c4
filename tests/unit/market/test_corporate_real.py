"""Property over every real ex-rights day: a holding rolled across its ex date keeps its value (issue 15),
in the paper account (`AccountState.roll_to`) and the backtest's (`Ledger.opening`) alike."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from alphamoe.backtest.ledger import Ledger
from alphamoe.data.actions.infer import infer_actions
from alphamoe.data.actions.model import CorporateAction
from alphamoe.portfolio import AccountState, Position

QUANTITY = 1000


def test_roll_to_when_every_real_ex_date_then_value_kept_to_the_exchange_reference(real_daily: object) -> None:
    bars: pd.DataFrame = real_daily.bars  # type: ignore[attr-defined]
    frame = bars.loc[:, ["symbol", "date", "close", "prev_close"]].sort_values(["symbol", "date"], kind="stable")
    frame["last_close"] = frame.groupby("symbol", sort=False)["close"].shift(1)
    by_day: dict[tuple[str, date], list[CorporateAction]] = defaultdict(list)
    for a in infer_actions(bars):
        by_day[(a.symbol, a.ex_date)].append(a)
    keys = pd.MultiIndex.from_tuples(list(by_day), names=["symbol", "date"])
    rows = frame.set_index(["symbol", "date"]).loc[keys]
    assert len(rows) > 1000
    jumps = []
    for (symbol, day), row in zip(keys, rows.itertuples(index=False), strict=True):
        last, prev = Decimal(str(row.last_close)).quantize(Decimal("0.01")), Decimal(str(row.prev_close))
        held = Position(symbol=symbol, quantity=QUANTITY, sellable=QUANTITY, cost=last * QUANTITY,
                        last_price=last, opened=date(1990, 1, 1))  # fmt: skip
        state = AccountState(account_id="a", trading_day=day - timedelta(days=1), cash=Decimal(0), positions=(held,))
        rolled = state.roll_to(day, by_day[(symbol, day)])
        ledger = Ledger("a", last * QUANTITY)
        ledger.buy(symbol, QUANTITY, last, Decimal(0), date(1990, 1, 1))
        assert ledger.opening(day, by_day[(symbol, day)]) == rolled  # the backtest's account: the same rule
        p = rolled.positions[0]
        tax = sum(((a.cash or 0) * QUANTITY for a in by_day[(symbol, day)]), Decimal(0)) - rolled.cash
        # valued at the exchange's previous close of the ex date, the account is worth what it was (less the tax)
        # up to two ticks a share: the reference's own rounding, and the inference's tolerance of a tick for
        # the exchanges' older rounding of the reference (data/actions/infer.py)
        drift = rolled.cash + p.quantity * prev - QUANTITY * last + max(tax, Decimal(0))
        if abs(drift) > Decimal("0.02") * p.quantity:
            jumps.append((symbol, day, drift))
    assert jumps == [], (len(jumps), jumps[:5])
