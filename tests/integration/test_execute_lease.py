"""Two execute processes on one live account and day: the second refuses, naming the first; nothing is sent twice.

Before, two concurrent `alphamoe run`s with the remote adapter and no Redis each journaled in their own
memory and sent 48 client order ids twice. Now a live adapter needs the Redis journal and takes a lease per
account and day before it opens a desk (`broker/lock.py`). The counter is the simulated xtquant one, shared
by both processes as a real broker's would be.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal

import pytest
import redis
from pydantic import SecretStr
from support.approvals import approved
from support.keys import APPROVAL_SECRET as SECRET

from alphamoe.broker.config import BrokerSettings
from alphamoe.broker.journal import RedisJournal
from alphamoe.broker.lock import DayLocks, DeskLockedError
from alphamoe.broker.miniqmt import MiniQmtBroker
from alphamoe.broker.protocol import Broker
from alphamoe.broker.service import ExecutionService
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.broker.simulated.xtquant import SimulatedXtQuantTrader, StockAccount
from alphamoe.broker.wiring import execute_options
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import MarketClose, OrderApproved, OrderProposed
from alphamoe.kv.client import connect
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState
from alphamoe.types import Side

pytestmark = pytest.mark.integration

DAY = date(2024, 6, 3)
SYMBOLS = [f"60{n:04d}.SH" for n in range(24)]
LIVE = BrokerSettings(adapter="remote", url="http://127.0.0.1:9", token=SecretStr("t" * 40))


def approvals() -> list[OrderApproved]:
    out = []
    for symbol in SYMBOLS:
        order = OrderProposed(
            trading_day=DAY, order_id=f"{DAY}:acc:{symbol}:BUY", account_id="acc", symbol=symbol, side=Side.BUY,
            quantity=100, limit_price=Decimal("10.00"), reference_price=Decimal("10.00"), target_weight=0.01,
            kelly_fraction=0.1,
        )  # fmt: skip
        out.append(approved(order, simulated=False))  # a live session's approval
    return out


class Counter:
    """One simulated xtquant counter behind every execute process, as the broker's is."""

    def __init__(self) -> None:
        account = AccountState(account_id="acc", trading_day=DAY, cash=Decimal("10000000"))
        self.exchange = SimExchange(account, dict.fromkeys(SYMBOLS, Decimal("10.00")))

    def broker(self, day: date) -> Broker:
        def trader(path: str, session: int) -> SimulatedXtQuantTrader:
            return SimulatedXtQuantTrader(path, session, exchange=self.exchange)

        return MiniQmtBroker("sim", "acc", day, trader_factory=trader, account_factory=StockAccount)

    def process(self, redis_url: str, **options: object) -> ExecutionService:
        """An execute process as `alphamoe run`/the function wires a live adapter (here on the simulated counter)."""
        wired = {**execute_options(LIVE, redis_url, "acc", CommissionSchedule()), **options}
        return ExecutionService(wired["journal"], self.broker, SECRET, today=lambda: DAY, locks=wired["locks"])


def send(service: ExecutionService, approval: OrderApproved) -> None:
    service.execute(build_event(approval, run_id="run-1", source="/alphamoe/risk"), approval)


def test_two_processes_when_same_account_and_day_then_second_refuses_naming_holder_and_nothing_sent_twice(
    redis_url: str,
) -> None:
    counter = Counter()
    first, second = counter.process(redis_url), counter.process(redis_url)
    first.start()
    assert first.health()[0]
    second.start()
    ready, why = second.health()
    assert not ready and first.locks is not None and first.locks.holder in why and "held by" in why
    orders = approvals()
    for n, approval in enumerate(orders):  # both get every approval, interleaved, as two runs would
        send(first, approval)
        with pytest.raises(DeskLockedError, match=first.locks.holder):
            send(second, orders[-1 - n])
    assert len(counter.exchange.sends) == len(SYMBOLS) and set(counter.exchange.sends.values()) == {1}
    assert second.open_days() == []

    close = build_event(MarketClose(trading_day=DAY, account_id="acc"), run_id="run-1", source="/alphamoe/cli")
    first.close_day(close, DAY)
    assert not redis.Redis.from_url(redis_url).exists(first.locks.key(DAY))  # released at the close
    first.stop()
    second.stop()


def test_two_processes_when_journals_differ_then_the_lease_alone_keeps_each_order_to_one_send(redis_url: str) -> None:
    counter = Counter()
    first = counter.process(redis_url)
    other_journal = RedisJournal(connect(redis_url), "acc", prefix="alphamoe:journal-elsewhere")
    second = counter.process(redis_url, journal=other_journal)
    for approval in approvals():
        send(first, approval)
        with pytest.raises(DeskLockedError):
            send(second, approval)
    assert set(counter.exchange.sends.values()) == {1}
    first.stop()  # a stopping process gives its lease back: the next one starts at once
    second.start()
    assert second.health()[0]
    second.stop()


def test_lease_when_holder_died_then_refused_until_its_ttl_then_taken(redis_url: str) -> None:
    client = connect(redis_url)
    locks = DayLocks(client, "acc", ttl_s=5)
    dead = json.dumps({"holder": "node-7:4242:deadbeef", "since": "2024-06-03T01:30:00+00:00"})
    client.set(locks.key(DAY), dead, px=600)  # what a SIGKILLed holder leaves: its last refresh
    with pytest.raises(DeskLockedError, match="node-7:4242:deadbeef"):
        locks.acquire(DAY)
    time.sleep(0.7)
    locks.acquire(DAY)
    assert json.loads(client.get(locks.key(DAY)) or "{}")["holder"] == locks.holder
    locks.close()
    assert not client.exists(locks.key(DAY))


def test_lease_when_taken_over_then_holder_sends_nothing_more(redis_url: str) -> None:
    counter = Counter()
    first = counter.process(redis_url)
    orders = approvals()
    send(first, orders[0])
    assert first.locks is not None
    client = connect(redis_url)
    client.set(first.locks.key(DAY), json.dumps({"holder": "intruder", "since": "now"}))  # e.g. expired, re-taken
    first.locks.refresh()
    with pytest.raises(DeskLockedError, match="held by execute process intruder"):
        send(first, orders[1])
    assert sum(counter.exchange.sends.values()) == 1
    ready, why = first.health()
    assert not ready and "intruder" in why
    client.delete(first.locks.key(DAY))  # the other process is gone: the lease is taken again, then reconciled
    assert first.health()[0]
    send(first, orders[1])
    assert sum(counter.exchange.sends.values()) == 2
    client.set(first.locks.key(DAY), json.dumps({"holder": "intruder", "since": "now"}))
    first.stop()
    assert client.get(first.locks.key(DAY)) is not None  # not ours: left alone


def test_lease_when_holder_was_killed_on_this_host_then_taken_over_at_once(redis_url: str) -> None:
    client = connect(redis_url)
    locks = DayLocks(client, "acc", ttl_s=30)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a SIGKILLed execute: its pid is gone, its lease still has most of its TTL
    holder = f"{socket.gethostname()}:{gone.pid}:0badf00d"
    client.set(locks.key(DAY), json.dumps({"holder": holder, "since": "2024-06-03T01:30:00+00:00"}), px=30_000)
    started = time.monotonic()
    locks.acquire(DAY)
    assert time.monotonic() - started < 1
    assert json.loads(client.get(locks.key(DAY)) or "{}")["holder"] == locks.holder
    locks.close()
