"""Several accounts in one day (issue 20 item 3): scan and route once, each account the orders it would get
alone, and one account's broker failing does not stop the others."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from alphamoe.accounts.config import AccountConfig
from alphamoe.broker.protocol import Broker, BrokerUnavailableError
from alphamoe.events.payloads import OrderApproved, OrderProposed, ScanCompleted
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.several import run_accounts_day
from alphamoe.settings import Settings

pytestmark = pytest.mark.slow

ACCOUNTS = (
    AccountConfig(id="big", capital=Decimal("2000000")),
    AccountConfig(id="small", capital=Decimal("500000"), caps={"max_position_weight": 0.05}),
    AccountConfig(id="cheap", capital=Decimal("1000000"), fees={"rate": "0.0001", "minimum": "0"}),
)


def orders(run: object, kind: type) -> list[tuple[str, str, int, Decimal]]:
    out = []
    for e in run.events:  # type: ignore[attr-defined]
        p = e.payload
        if isinstance(p, kind):
            o = p if isinstance(p, OrderProposed) else p.order
            out.append((o.account_id, o.symbol, o.quantity, o.limit_price))
    return sorted(out)


@pytest.fixture(scope="module")
def day(market_dir: Path) -> date:
    return BarStore(market_dir).sessions()[-1]


def test_day_when_three_accounts_then_each_gets_the_orders_it_gets_alone(
    market_dir: Path, day: date, tmp_path: Path
) -> None:
    together = run_accounts_day(Settings(data=market_dir, runs=tmp_path / "all"), day, accounts=ACCOUNTS)
    assert sum(isinstance(e.payload, ScanCompleted) for e in together["big"].events) == 1  # scan ran once
    for account in ACCOUNTS:
        alone = run_accounts_day(Settings(data=market_dir, runs=tmp_path / account.id), day, accounts=[account])
        mine = together[account.id]
        assert orders(mine, OrderApproved) == orders(alone[account.id], OrderApproved)
        assert orders(mine, OrderProposed) == orders(alone[account.id], OrderProposed)
        assert {o[0] for o in orders(mine, OrderProposed)} <= {account.id}
        assert mine.json_path == tmp_path / "all" / day.isoformat() / "accounts" / account.id / "report.json"
    assert orders(together["big"], OrderProposed), "the day proposed nothing: the comparison would be empty"
    assert orders(together["big"], OrderProposed) != orders(together["small"], OrderProposed)


def test_day_when_one_accounts_broker_fails_then_the_others_trade_on(
    market_dir: Path, day: date, tmp_path: Path
) -> None:
    def down(_: date) -> Broker:
        raise BrokerUnavailableError("the client of account small is not logged in")

    runs = run_accounts_day(Settings(data=market_dir, runs=tmp_path), day, accounts=ACCOUNTS, brokers={"small": down})
    assert runs["big"].report.orders and runs["cheap"].report.orders
    assert any("account small" in reason for reason in runs["small"].report.dead_letters)
    assert not any("account small" in reason for reason in runs["big"].report.dead_letters)
