"""Issue 20's "done when": a day with three accounts on three adapters (paper, simulated MiniQMT, simulated QMT over
a real Redis) gives each account the orders it gets alone; each has its own ledger, kill switch and
reconciliation, and one adapter failing does not stop the others. A past day runs as a simulation: the
simulated adapters fill its approvals because they declare themselves simulated (a real client refuses,
tests/unit/broker/test_execute_simulated_adapters.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from support.simulated_accounts import simulated_counters

from alphamoe.accounts.config import AccountConfig
from alphamoe.broker.journal import RedisJournal
from alphamoe.broker.xtconst import to_status
from alphamoe.events.payloads import OrderApproved, OrderProposed, OrderRejected, OrderSubmitted
from alphamoe.kv.client import connect
from alphamoe.kv.server import LocalRedis
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.run import DayRun
from alphamoe.pipeline.several import run_accounts_day
from alphamoe.risk.state import TradingState
from alphamoe.risk.switch import RedisSwitch
from alphamoe.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FAST = {"wait_s": 0.3}
ACCOUNTS = (
    AccountConfig(id="paper-a", adapter="paper", capital=Decimal("2000000")),
    AccountConfig(
        id="mini-b",
        adapter="miniqmt",
        capital=Decimal("1000000"),
        broker={"qmt_path": "sim", "qmt_account": "mini-b", **FAST},
        caps={"max_position_weight": 0.05},
    ),
    AccountConfig(
        id="qmt-c",
        adapter="qmt",
        capital=Decimal("800000"),
        broker={"qmt_account": "qmt-c", **FAST},
        fees={"rate": "0.0001", "minimum": "0"},
    ),
)


def orders(run: DayRun, kind: type) -> list[tuple[str, str, int, Decimal]]:
    out = []
    for e in run.events:
        p = e.payload
        if isinstance(p, kind):
            o: Any = p if isinstance(p, OrderProposed) else p.order
            out.append((o.account_id, o.symbol, o.quantity, o.limit_price))
    return sorted(out)


def submitted(run: DayRun) -> set[str]:
    return {e.payload.order_id for e in run.events if isinstance(e.payload, OrderSubmitted)}


@pytest.fixture(scope="module")
def day(market_dir: Path) -> date:
    return BarStore(market_dir).sessions()[-1]


def flush(server: LocalRedis) -> None:
    admin = redis.Redis.from_url(server.admin_url)
    admin.flushdb()
    admin.close()


def run(
    market_dir: Path, runs: Path, day: date, url: str, accounts: tuple[AccountConfig, ...], *, down: str = ""
) -> tuple[dict[str, DayRun], Any]:
    settings = Settings(data=market_dir, runs=runs, redis_url=url)
    with simulated_counters(accounts, market_dir, day, url) as counters:
        if down:
            counters.runtimes[down].stop()  # the QMT client of that account is not running
        result = run_accounts_day(settings, day, accounts=accounts, brokers=counters.brokers)
    return result, counters


def test_three_adapters_when_run_together_then_each_account_gets_its_orders_alone_and_its_counter_agrees(
    market_dir: Path, day: date, tmp_path: Path, redis_server: LocalRedis, redis_url: str
) -> None:
    together, counters = run(market_dir, tmp_path / "all", day, redis_url, ACCOUNTS)
    client = connect(redis_url)
    for account in ACCOUNTS:
        mine = together[account.id]
        approved = orders(mine, OrderApproved)
        assert approved, f"{account.id} was approved nothing: the comparison would be empty"
        assert {o[0] for o in orders(mine, OrderProposed)} == {account.id}
        assert not mine.report.dead_letters, mine.report.dead_letters
        assert submitted(mine) == {
            e.payload.order.order_id for e in mine.events if isinstance(e.payload, OrderApproved)
        }
        if account.id in counters.exchanges:  # its reconciliation: the journal is the counter's truth
            exchange = counters.exchanges[account.id]
            records = RedisJournal(client, account.id).records(day)
            assert len(exchange.orders) == len(records) == len(approved)
            by_id = {int(r.broker_order_id): r for r in records}
            for order_id, truth in exchange.orders.items():
                assert (by_id[order_id].status, by_id[order_id].filled_quantity) == (
                    to_status(truth.status),
                    truth.filled,
                )
            assert all(n == 1 for n in exchange.sends.values()), "an order sent twice"
    combined = (tmp_path / "all" / day.isoformat() / "accounts" / "report.json").read_text()
    assert all(f'"account_id": "{a.id}"' in combined for a in ACCOUNTS)
    for account in ACCOUNTS:  # alone: a clean Redis (its ledger and journal), its own counter
        flush(redis_server)
        alone, _ = run(market_dir, tmp_path / account.id, day, redis_url, (account,))
        assert orders(together[account.id], OrderProposed) == orders(alone[account.id], OrderProposed)
        assert orders(together[account.id], OrderApproved) == orders(alone[account.id], OrderApproved)
    assert len({tuple(orders(together[a.id], OrderProposed)) for a in ACCOUNTS}) == 3


def test_three_adapters_when_qmt_client_down_and_one_account_halted_then_only_those_stop(
    market_dir: Path, day: date, tmp_path: Path, redis_url: str
) -> None:
    RedisSwitch(connect(redis_url)).set("mini-b", TradingState.HALTED, "drill: halt one", at=datetime.now(UTC))
    runs, _ = run(market_dir, tmp_path, day, redis_url, ACCOUNTS, down="qmt-c")
    paper, mini, qmt = (runs[a.id] for a in ACCOUNTS)
    assert orders(paper, OrderApproved) and submitted(paper) and not paper.report.dead_letters
    assert orders(mini, OrderProposed) and not orders(mini, OrderApproved)  # its kill switch: nothing approved
    assert orders(mini, OrderRejected) and not submitted(mini)
    assert orders(qmt, OrderApproved) and not submitted(qmt)  # approved, its broker down: parked, named
    assert any("account qmt-c" in reason and "bridge" in reason for reason in qmt.report.dead_letters)
    assert not any("qmt-c" in reason for reason in paper.report.dead_letters + mini.report.dead_letters)
