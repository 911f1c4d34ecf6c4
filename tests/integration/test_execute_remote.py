"""The remote adapter against a real gateway: shared-token auth, TLS, and an execute stage whose Redis journal
and broker both outlive it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from support.approvals import approved
from support.gateway import self_signed, serving
from support.keys import APPROVAL_SECRET, GATEWAY_TOKEN

from alphamoe.broker.desk import DeskConfig
from alphamoe.broker.journal import RedisJournal
from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import Broker, BrokerUnavailableError
from alphamoe.broker.remote import RemoteBroker
from alphamoe.broker.service import ExecutionService
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import OrderApproved, OrderProposed
from alphamoe.kv.client import connect
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState
from alphamoe.types import OrderStatus, Side

pytestmark = pytest.mark.integration
TOKEN = GATEWAY_TOKEN
SECRET = APPROVAL_SECRET


@pytest.fixture
def paper_day(market_dir: Path) -> tuple[BarStore, dt.date]:
    store = BarStore(market_dir)
    return store, store.sessions()[-1]


@contextmanager
def _gateway(store: BarStore, day: dt.date, **tls: Path) -> Iterator[str]:
    account = AccountState(account_id="acc", trading_day=day, cash=Decimal("1000000"))
    brokers: dict[dt.date, Broker] = {}

    def factory(d: dt.date) -> Broker:
        return brokers.setdefault(d, PaperBroker(store, d, account, CommissionSchedule()))

    with serving(factory, **tls) as port:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"


def test_remote_when_token_wrong_then_unavailable_and_nothing_sent(paper_day: tuple[BarStore, dt.date]) -> None:
    store, day = paper_day
    with _gateway(store, day) as url:
        broker = RemoteBroker(url, "not-the-token", day, background=False)
        with pytest.raises(BrokerUnavailableError, match="401"):
            broker.connect()


def test_remote_when_tls_with_the_gateway_ca_then_orders_flow(
    paper_day: tuple[BarStore, dt.date], tmp_path: Path
) -> None:
    store, day = paper_day
    cert, key = self_signed(tmp_path)
    with _gateway(store, day, certfile=cert, keyfile=key) as url:
        untrusted = RemoteBroker(url, TOKEN, day, background=False)
        with pytest.raises(BrokerUnavailableError):
            untrusted.connect()
        broker = RemoteBroker(url, TOKEN, day, verify=cert, background=False)
        broker.connect()
        assert broker.connected and broker.account().cash == Decimal("1000000")


def _approved(store: BarStore, day: dt.date) -> OrderApproved:
    bar = next(b for s, b in sorted(store.day(day).items()) if s.startswith("600"))
    price = Decimal(str(bar.prev_close)).quantize(Decimal("0.01"))
    order = OrderProposed(
        trading_day=day,
        order_id=f"{day}:acc:{bar.symbol}:BUY",
        account_id="acc",
        symbol=bar.symbol,
        side=Side.BUY,
        quantity=100,
        limit_price=price,
        reference_price=price,
        target_weight=0.001,
        kelly_fraction=0.01,
    )
    return approved(order, SECRET)


def test_execute_when_restarted_then_reconciles_from_redis_and_gateway_without_resending(
    paper_day: tuple[BarStore, dt.date], redis_url: str
) -> None:
    store, day = paper_day
    with _gateway(store, day) as url:

        def service() -> ExecutionService:
            return ExecutionService(
                RedisJournal(connect(redis_url), "acc"),
                lambda d: RemoteBroker(url, TOKEN, d, background=False),
                SECRET,
                desk=DeskConfig(wait_s=2),
            )

        approved = _approved(store, day)
        event = build_event(approved, run_id="r", source="/alphamoe/risk")
        first = service()
        outputs = first.execute(event, approved)
        assert outputs and outputs[0].payload.status in (OrderStatus.ACCEPTED, OrderStatus.FILLED)
        second = service()  # a new process: nothing in memory, the journal and the broker kept going
        second.start()
        assert second.health()[0]
        assert second.execute(event, approved) == []  # the redelivered approval is not sent again
        records = second.journal.records(day)
        assert len(records) == 1 and records[0].status is outputs[-1].payload.status
