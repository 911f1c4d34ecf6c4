"""One execute per account (issue 20): every account's execute reads the same approved-order stream, and an
order of another account never reaches this account's broker."""

from __future__ import annotations

from pathlib import Path

from support.broker_day import opens
from support.keys import APPROVAL_SECRET as SECRET
from support.sim_desk import SimDesk, approval, buy_order, opening, sim_stage

from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.market.bars import BarStore


def test_execute_when_approval_is_for_another_account_then_nothing_sent_and_its_own_is(
    store: BarStore, tmp_path: Path
) -> None:
    sim = SimDesk(exchange=SimExchange(opening(), opens()))
    stage = sim_stage(sim, store, tmp_path, SECRET)  # account "acc"
    other = buy_order().model_copy(update={"account_id": "other", "order_id": buy_order().order_id + ":other"})
    assert stage.handle(approval(other, SECRET, "run-1")) == []
    assert sim.exchange.sends.total() == 0 and sim.journal.records(other.trading_day) == []
    assert stage.handle(approval(buy_order(), SECRET, "run-1"))  # its own account's order goes out
    assert sim.exchange.sends.total() == 1
