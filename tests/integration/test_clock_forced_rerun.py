"""A forced rerun (`--force`, a new run id) re-makes the day's decisions but never resends a sent order.

Why the order ids stay `day:account:symbol:side` (not per run): a rerun sizes from the same opening state
(`AccountBook` reads only days before D), so it proposes the very orders the first run sent; ids per run
would buy them a second time on top of the first run's fills, with risk checking cash that is already spent.
Risk derives those ids itself and books one ledger per account and day, whatever the run: the rerun's
proposals are refused there as DUPLICATE_ORDER, before execute (whose journal would also park them).
"""

from __future__ import annotations

import secrets
from datetime import date

import pytest
from support.keys import EVENT_KEY

from alphamoe.market.bars import BarStore
from alphamoe.pipeline.factory import build_stages
from alphamoe.pipeline.run import DayRun, run_day
from alphamoe.settings import Settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from alphamoe.data.synthetic import write_market

    root = tmp_path_factory.mktemp("rerun")
    write_market(root / "market", symbols=100, start=date(2024, 1, 2), end=date(2024, 6, 28), seed=11)
    return Settings(data=root / "market", runs=root / "runs", event_key=EVENT_KEY.decode())


def orders(run: DayRun, kind: str) -> list[tuple[str, int]]:
    return [(e.payload.order_id, e.payload.quantity) for e in run.events if e.type.endswith(kind)]


def count(run: DayRun, kind: str) -> int:
    return sum(e.type.endswith(kind) for e in run.events)


def test_forced_rerun_when_same_account_then_same_decisions_and_nothing_resent(settings: Settings) -> None:
    day = BarStore(settings.data).sessions()[-1]
    stages = build_stages(settings, secret=secrets.token_bytes(32))  # one execute: one journal, one account
    first = run_day(settings, day, run_id="R", stages=stages)
    rerun = run_day(settings, day, run_id="R-rerun1", stages=stages)
    assert orders(first, "order.proposed"), "the day must trade for the test to mean anything"
    assert orders(rerun, "order.proposed") == orders(first, "order.proposed")  # decisions re-made, identical
    assert count(first, "order.submitted") == count(first, "order.approved") == len(orders(first, "order.proposed"))
    refused = [e.payload for e in rerun.events if e.type.endswith("order.rejected")]
    assert [(r.order.order_id, r.order.quantity) for r in refused] == orders(first, "order.proposed")
    assert all("DUPLICATE_ORDER" in [v.code for v in r.violations] for r in refused)  # the day's ledger has them
    assert count(rerun, "order.approved") == count(rerun, "order.submitted") == 0  # nothing sent twice
    journal = stages.execute.journal
    assert len(journal.records(day)) == count(first, "order.submitted")
    assert journal.parked() == []  # refused by risk, so nothing reached execute to park
