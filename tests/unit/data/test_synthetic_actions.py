"""The synthetic market writes the corporate actions its ex-rights days model, beside the bars (issue 15).

Before, its XD/XR/DR days moved `prev_close` to the ex-rights reference but the store held no action, so a
synthetic backtest lost a bonus issue's new shares and every dividend, as real data did before issue 15.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import groupby
from pathlib import Path

import pandas as pd
import pytest

from alphamoe.data.actions.model import ActionKind, ex_rights_reference
from alphamoe.data.quality import check_store
from alphamoe.market.bars import BarStore
from alphamoe.market.corporate import actions_since
from alphamoe.portfolio import AccountState, Position

TICK = Decimal("0.01")


@pytest.fixture(scope="module")
def store(market_dir: Path) -> BarStore:
    return BarStore(market_dir)


def _steps(store: BarStore) -> pd.DataFrame:
    """Each bar with the stock's last close before it; the rows whose previous close is below it."""
    bars = store.frame().sort_values(["symbol", "date"])
    bars["date"] = pd.to_datetime(bars["date"])
    bars["last_close"] = bars.groupby("symbol")["close"].shift(1)
    return bars[bars["last_close"].notna()]


def test_write_market_when_ex_rights_days_then_each_has_its_actions_and_they_give_the_prev_close(
    store: BarStore,
) -> None:
    actions = store.actions()
    assert {a.kind for a in actions} == {ActionKind.CASH_DIVIDEND, ActionKind.CAPITALISATION_SHARES}
    assert not any(a.inferred for a in actions)
    steps = _steps(store).set_index(["symbol", "date"])
    first = min(store.sessions())
    for (symbol, ex_date), group in groupby(actions, key=lambda a: (a.symbol, a.ex_date)):
        if ex_date == first:  # the close before the market's first session is not in the store
            continue
        row = steps.loc[(symbol, pd.Timestamp(ex_date))]
        last, prev = Decimal(str(row["last_close"])), Decimal(str(row["prev_close"]))
        assert abs(ex_rights_reference(last, list(group)) - prev) <= TICK, (symbol, ex_date)
    moved = steps[steps["prev_close"] < steps["last_close"] - 1e-9].index
    on_steps = {(a.symbol, pd.Timestamp(a.ex_date)) for a in actions if a.ex_date != first}
    assert {(s, pd.Timestamp(d)) for s, d in moved} == on_steps


def test_write_market_when_checked_then_no_finding(store: BarStore) -> None:
    assert check_store(store) == []


def test_account_when_held_through_a_synthetic_bonus_issue_then_value_kept_but_the_market_move(
    store: BarStore,
) -> None:
    bonus = next(a for a in store.actions() if a.kind is ActionKind.CAPITALISATION_SHARES)
    bars = _steps(store)
    row = bars[(bars["symbol"] == bonus.symbol) & (bars["date"] == pd.Timestamp(bonus.ex_date))].iloc[0]
    before = bars[(bars["symbol"] == bonus.symbol) & (bars["date"] < pd.Timestamp(bonus.ex_date))].iloc[-1]
    last, prev, close = (Decimal(str(row[c])) for c in ("last_close", "prev_close", "close"))
    closed = before["date"].date()
    held = AccountState(
        account_id="acc",
        trading_day=closed,
        cash=Decimal(0),
        positions=(
            # held since 2020: over a year, so no dividend tax on a DR day's cash (财税〔2015〕101号)
            Position(
                symbol=bonus.symbol,
                quantity=10000,
                sellable=10000,
                cost=Decimal(0),
                last_price=last,
                opened=date(2020, 1, 2),
            ),
        ),
    )
    opened = held.roll_to(bonus.ex_date, actions_since(store, closed, bonus.ex_date))
    position = opened.position(bonus.symbol)
    assert position is not None and position.quantity == 10000 + int(10000 * bonus.shares)
    # at the open the holding is worth what it was, up to the reference's rounding to the tick
    assert abs(opened.equity - held.equity) <= TICK * position.quantity
    assert position.last_price == prev and close > 0
