"""Risk and execute over one real Redis: orders that end free the working-order cap for new ones, once each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from support.keys import APPROVAL_SECRET

from alphamoe.broker.config import BrokerSettings
from alphamoe.broker.miniqmt import MiniQmtBroker
from alphamoe.broker.protocol import Broker
from alphamoe.broker.service import ExecutionService
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.broker.simulated.xtquant import Faults, SimulatedXtQuantTrader, StockAccount
from alphamoe.broker.wiring import execute_options
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import OrderApproved, OrderProposed, OrderRejected
from alphamoe.kv.client import connect
from alphamoe.market.fees import CommissionSchedule
from alphamoe.market.limits import limit_prices
from alphamoe.market.reference import ReferenceData
from alphamoe.portfolio import AccountState
from alphamoe.risk.approval import Binding
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.engine import RiskEngine, scope_of
from alphamoe.risk.reservations import ACTIVE, RedisReservations
from alphamoe.risk.state import TradingState
from alphamoe.types import OrderStatus, Side

pytestmark = pytest.mark.integration

DAY = date(2024, 6, 3)
SECRET = APPROVAL_SECRET
RUN = "run-release"
SYMBOLS = [f"6001{n:02d}.SH" for n in range(10)]  # one stock per order: risk derives one id per stock and side
CAP = 3
LIMITS = RiskLimits(max_active_orders=CAP, max_position_weight=1.0, max_board_weight=1.0, max_industry_weight=1.0)
ACCOUNT = AccountState(account_id="acc", trading_day=DAY, cash=Decimal("1000000"))
REFERENCE = {
    s: ReferenceData(
        s, DAY, Decimal("10.00"), False, 500, limit_prices(s, Decimal("10.00"), DAY, listing_day_index=500)
    )
    for s in SYMBOLS
}


def oid(n: int) -> str:
    return f"{DAY}:acc:{SYMBOLS[n]}:BUY"


def order(n: int, limit: str = "10.00") -> OrderProposed:
    return OrderProposed(
        trading_day=DAY,
        order_id=oid(n),
        account_id="acc",
        symbol=SYMBOLS[n],
        side=Side.BUY,
        quantity=100,
        limit_price=Decimal(limit),
        reference_price=Decimal("10.00"),
        target_weight=0.01,
        kelly_fraction=0.1,
    )


class Desk:
    """One counter (fills at 10.00 what is marketable) behind execute processes built as the function builds them."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.exchange = SimExchange(ACCOUNT, dict.fromkeys(SYMBOLS, Decimal("10.00")))
        self.faults = Faults(duplicate=1.0)  # every push twice: each terminal report arrives again

    def service(self) -> ExecutionService:
        def brokers(day: date) -> Broker:
            def trader(path: str, session: int) -> SimulatedXtQuantTrader:
                return SimulatedXtQuantTrader(path, session, exchange=self.exchange, faults=self.faults)

            return MiniQmtBroker("sim", "acc", DAY, trader_factory=trader, account_factory=StockAccount)

        options = execute_options(BrokerSettings(), self.redis_url, "acc", CommissionSchedule())
        return ExecutionService(options["journal"], brokers, SECRET, reservations=options["reservations"])


def decide(engine: RiskEngine, orders: list[OrderProposed]) -> dict[str, OrderApproved | OrderRejected]:
    binding = Binding(DAY, datetime.now(UTC) + timedelta(hours=1), simulated=True)  # a past day: paper only
    decisions = engine.evaluate_batch(DAY, orders, ACCOUNT, REFERENCE, TradingState.ACTIVE, binding=binding)
    return {d.order.order_id: d for d in decisions}


def send(service: ExecutionService, approved: OrderApproved) -> None:
    service.execute(build_event(approved, run_id=RUN, source="/alphamoe/risk"), approved)


def test_release_when_orders_fill_then_risk_approves_past_the_active_cap_and_each_frees_once(redis_url: str) -> None:
    book = RedisReservations(connect(redis_url))
    engine = RiskEngine(LIMITS, SECRET, CommissionSchedule(), reservations=book)
    desk = Desk(redis_url)
    execute = desk.service()

    first = decide(engine, [order(1), order(2), order(3, limit="9.90")])  # o3 stays working
    assert all(isinstance(d, OrderApproved) for d in first.values())
    probe = decide(engine, [order(9)])[oid(9)]
    assert isinstance(probe, OrderRejected) and probe.violations[0].code == "ACTIVE_ORDER_CAP"  # the cap bites

    for approved in first.values():
        assert isinstance(approved, OrderApproved)
        send(execute, approved)
        send(execute, approved)  # a redelivered event: a replay, nothing more
    states = {r.order_id: r.status for r in execute.journal.records()}
    assert states == {oid(1): OrderStatus.FILLED, oid(2): OrderStatus.FILLED, oid(3): OrderStatus.ACCEPTED}
    # two filled, one working; each fill was reported twice and a second release would show as 0
    assert book.snapshot(scope_of("acc", DAY)).used[ACTIVE] == 1

    replica = desk.service()  # another execute replica on the same journal and book: nothing left to free
    replica.start()
    filled = [r for r in replica.journal.records() if r.status is OrderStatus.FILLED]
    assert [replica.release(r) for r in filled] == [False, False]
    assert book.snapshot(scope_of("acc", DAY)).used[ACTIVE] == 1

    second = decide(engine, [order(4), order(5)])  # with o1, o2 still counted, the cap of 3 would refuse both
    assert all(isinstance(d, OrderApproved) for d in second.values()), second


def test_release_when_fill_learned_after_restart_then_freed_once(redis_url: str) -> None:
    book = RedisReservations(connect(redis_url))
    engine = RiskEngine(LIMITS, SECRET, CommissionSchedule(), reservations=book)
    desk = Desk(redis_url)
    execute = desk.service()
    decisions = decide(engine, [order(n, limit="9.90") for n in range(1, CAP + 1)])
    for approved in decisions.values():
        assert isinstance(approved, OrderApproved)
        send(execute, approved)
    execute.stop()  # execute goes away; the counter fills everything meanwhile
    for broker_order_id in list(desk.exchange.orders):
        desk.exchange.fill(broker_order_id, price=Decimal("9.90"))
    assert isinstance(decide(engine, [order(9)])[oid(9)], OrderRejected)

    restarted = desk.service()
    restarted.start()  # reconciles the open day: three fills learned from the counter
    assert {r.status for r in restarted.journal.records()} == {OrderStatus.FILLED}
    assert book.snapshot(scope_of("acc", DAY)).used[ACTIVE] == 0
    assert isinstance(decide(engine, [order(9)])[oid(9)], OrderApproved)
