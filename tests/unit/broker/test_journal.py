"""The journal, in both forms: a claim is won once, records survive a new client (Redis), refusals are parked."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from support.broker_day import DAY

from alphamoe.broker.journal import Journal, JournalUnavailableError, MemoryJournal, RedisJournal
from alphamoe.broker.orders import OrderRecord
from alphamoe.broker.protocol import SubmitOrder
from alphamoe.kv.client import connect
from alphamoe.portfolio import AccountState
from alphamoe.types import OrderStatus, Side


def record(cid: str, day: object = DAY) -> OrderRecord:
    command = SubmitOrder(
        client_order_id=cid,
        order_id=f"o-{cid}",
        account_id="acc",
        trading_day=day,  # type: ignore[arg-type]
        symbol="600000.SH",
        side=Side.BUY,
        quantity=100,
        limit_price=Decimal("10.00"),
    )
    return OrderRecord.new(command, broker="paper", approval="sig")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
def journal(request: pytest.FixtureRequest) -> Journal:
    if request.param == "memory":
        return MemoryJournal()
    url: str = request.getfixturevalue("redis_url")
    return RedisJournal(connect(url), "acc")


def test_claim_when_record_absent_then_won_once(journal: Journal) -> None:
    assert journal.claim(record("A"))
    assert not journal.claim(record("A"))
    assert journal.get("A") == record("A")


def test_put_when_record_changes_then_get_returns_the_new_state(journal: Journal) -> None:
    journal.claim(record("A"))
    journal.put(record("A").with_changes(status=OrderStatus.ACCEPTED))
    got = journal.get("A")
    assert got is not None and got.status is OrderStatus.ACCEPTED


def test_records_when_days_differ_then_filtered_by_day(journal: Journal) -> None:
    journal.claim(record("B"))
    journal.claim(record("A", DAY - timedelta(days=1)))
    assert [r.client_order_id for r in journal.records()] == ["A", "B"]
    assert [r.client_order_id for r in journal.records(DAY)] == ["B"]


def test_park_when_refused_then_kept_with_the_reason(journal: Journal) -> None:
    journal.park("signature does not match", {"order_id": "o-1"})
    assert [p["reason"] for p in journal.parked()] == ["signature does not match"]


def test_opening_when_set_twice_then_first_kept(journal: Journal) -> None:
    journal.set_opening(AccountState(account_id="acc", trading_day=DAY, cash=Decimal("1")))
    journal.set_opening(AccountState(account_id="acc", trading_day=DAY, cash=Decimal("2")))
    opening = journal.opening(DAY)
    assert opening is not None and opening.cash == Decimal("1")


@pytest.mark.integration
def test_redis_journal_when_new_client_then_records_survive(redis_url: str) -> None:
    RedisJournal(connect(redis_url), "acc").claim(record("A"))
    assert RedisJournal(connect(redis_url), "acc").get("A") == record("A")


def test_redis_journal_when_redis_down_then_journal_unavailable() -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    with pytest.raises(JournalUnavailableError, match="unreachable"):
        RedisJournal(client, "acc").claim(record("A"))
