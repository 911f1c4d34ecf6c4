"""A closed day lets go of its desk: no broker session, no paper state, and it never reopens.

Before, every market.close left its desk (a broker session with the day's bars) in the process for good, so
100 forged closes grew execute from 180 to 559 MB; and a later approval for a closed day opened it again.
"""

from __future__ import annotations

import gc
import weakref
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.approvals import approved as approval
from support.broker_day import DAY
from support.keys import APPROVAL_SECRET as SECRET

from alphamoe.broker.desk import DayClosedError
from alphamoe.broker.journal import MemoryJournal
from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import Broker
from alphamoe.errors import ApprovalError, NoTradingDayError
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import MarketClose, OrderProposed
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages.execute import ExecuteStage
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.types import Side


def close(day: date, run_id: str = "run-1") -> Envelope[MarketClose]:
    return build_event(MarketClose(trading_day=day, account_id="acc"), run_id=run_id, source="/alphamoe/cli")


def approved(day: date, quantity: int = 1000, run_id: str = "run-1", symbol: str = "600000.SH") -> Envelope[Any]:
    order = OrderProposed(
        trading_day=day, order_id=f"{day}:acc:{symbol}:BUY", account_id="acc", symbol=symbol, side=Side.BUY,
        quantity=quantity, limit_price=Decimal("10.20"), reference_price=Decimal("10.00"), target_weight=0.01,
        kelly_fraction=0.1,
    )  # fmt: skip
    return build_event(approval(order), run_id=run_id, source="/alphamoe/risk")


class Stage:
    """An execute stage on paper whose brokers are watched: a released one can be garbage-collected."""

    def __init__(self, store: BarStore, root: Path) -> None:
        self.made: list[weakref.ref[PaperBroker]] = []
        self.store, self.accounts = store, AccountBook(root, "acc", Decimal("1000000"))
        self.stage = ExecuteStage(MarketData(store), self.accounts, SECRET, CommissionSchedule(), brokers=self.broker)

    def broker(self, day: date) -> Broker:
        made = PaperBroker(self.store, day, self.accounts.opening_state(day), CommissionSchedule())
        self.made.append(weakref.ref(made))
        return made

    def alive(self) -> int:
        gc.collect()
        return sum(ref() is not None for ref in self.made)


def test_close_when_many_days_closed_then_no_desk_or_broker_held_for_them(store: BarStore, tmp_path: Path) -> None:
    watched = Stage(store, tmp_path)
    days = [DAY + timedelta(days=n) for n in range(40)]
    traded = [day for day in days if day in set(store.sessions())]
    for day in days:
        if day in traded:
            watched.stage.handle(close(day))
        else:  # a forged close of a day that was not traded is refused before any desk opens
            with pytest.raises(NoTradingDayError, match="no account snapshot written"):
                watched.stage.handle(close(day))
        assert watched.stage.service.open_days() == []
    assert traded and watched.alive() == 0
    assert sorted(watched.accounts.snapshots()) == traded  # each traded day's close still wrote its snapshot


def test_approval_when_day_closed_then_refused_parked_and_desk_not_reopened(store: BarStore, tmp_path: Path) -> None:
    watched = Stage(store, tmp_path)
    watched.stage.handle(close(DAY))
    with pytest.raises(DayClosedError, match="closed"):
        watched.stage.handle(approved(DAY))
    assert watched.stage.service.open_days() == [] and len(watched.made) == 1  # no session opened for it
    assert watched.stage.journal.records(DAY) == []
    assert "is closed" in watched.stage.journal.parked()[-1]["reason"]


def test_rerun_when_day_closed_then_sent_orders_parked_as_replays_and_close_answered_again(
    store: BarStore, tmp_path: Path
) -> None:
    watched = Stage(store, tmp_path)
    assert watched.stage.handle(approved(DAY))
    watched.stage.handle(close(DAY))
    closing = watched.stage.closing(DAY)
    assert watched.stage.handle(approved(DAY, run_id="run-1-rerun1")) == []  # a forced rerun: not resent
    assert watched.stage.journal.parked()[-1]["reason"].startswith("replayed approval")
    with pytest.raises(ApprovalError, match="other terms"):  # the same order id with other terms: refused
        watched.stage.handle(approved(DAY, quantity=2000, run_id="run-1-rerun1"))
    assert watched.stage.handle(close(DAY, run_id="run-1-rerun1")) == []
    assert watched.stage.closing(DAY) == closing and watched.alive() == 0
    assert len(watched.made) == 1


def test_close_when_journal_shared_by_a_new_process_then_day_stays_closed(store: BarStore, tmp_path: Path) -> None:
    journal = MemoryJournal()
    first = ExecuteStage(
        MarketData(store), AccountBook(tmp_path, "acc", Decimal("1000000")), SECRET, CommissionSchedule(),
        journal=journal,
    )  # fmt: skip
    first.handle(approved(DAY))
    first.handle(close(DAY))
    restarted = ExecuteStage(
        MarketData(store), AccountBook(tmp_path, "acc", Decimal("1000000")), SECRET, CommissionSchedule(),
        journal=journal,
    )  # fmt: skip
    restarted.start()
    assert restarted.health()[0] and restarted.service.open_days() == []
    assert restarted.handle(approved(DAY)) == []  # the order it sent: a replay
    with pytest.raises(DayClosedError):  # a new one: refused, the day not reopened
        restarted.handle(approved(DAY, symbol="600003.SH"))
    assert restarted.service.open_days() == []
