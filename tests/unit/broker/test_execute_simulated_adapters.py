"""A past day's simulated approval is filled by paper and by a live adapter running against the simulators
(it declares itself simulated); a real client still refuses it, whatever its wiring claims."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from support.approvals import approved
from support.broker_day import DAY, opens
from support.keys import APPROVAL_SECRET
from support.qmt import qmt_pair
from support.sim_desk import FAST, buy_order, opening
from support.simulated_accounts import UndeclaredTrader

from alphamoe.broker.journal import MemoryJournal
from alphamoe.broker.miniqmt import MiniQmtBroker
from alphamoe.broker.protocol import Broker
from alphamoe.broker.service import BrokerFactory, ExecutionService
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.broker.simulated.xtquant import SimulatedXtQuantTrader, StockAccount
from alphamoe.broker.simulation import declares_simulated, simulated_sessions
from alphamoe.errors import ApprovalError
from alphamoe.events.envelope import build_event
from alphamoe.types import OrderStatus

TODAY = DAY + timedelta(days=400)  # the exchange's today: DAY is a past day, run as a simulation


def miniqmt(exchange: SimExchange, trader: type[SimulatedXtQuantTrader]) -> BrokerFactory:
    def session(day: object) -> Broker:
        return MiniQmtBroker(
            "sim",
            "acc",
            DAY,
            trader_factory=lambda path, n: trader(path, n, exchange=exchange),
            account_factory=StockAccount,
        )

    return session


def live(brokers: BrokerFactory, journal: MemoryJournal) -> ExecutionService:
    """Execute as `execute_options` wires a live adapter: `today` is the exchange's today."""
    return ExecutionService(journal, brokers, APPROVAL_SECRET, desk=FAST, today=lambda: TODAY)


def send(service: ExecutionService) -> OrderStatus:
    decision = approved(buy_order(), expires_at=datetime.now(UTC) + timedelta(hours=1), simulated=True)
    event = replace(build_event(decision, run_id="sim-run", source="/alphamoe/risk"), trading_day=DAY)
    outputs = service.execute(event, decision)
    status: OrderStatus = outputs[0].payload.status
    return status


def test_execute_when_simulated_miniqmt_declares_itself_then_simulated_approval_is_sent() -> None:
    exchange = SimExchange(opening(), opens())
    service = live(simulated_sessions(miniqmt(exchange, SimulatedXtQuantTrader)), MemoryJournal())
    assert send(service) in (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.FILLED)
    assert exchange.sends.total() == 1 and declares_simulated(service.desk(DAY).broker)


def test_execute_when_wiring_says_simulated_but_the_client_does_not_then_refused_parked_not_sent() -> None:
    exchange, journal = SimExchange(opening(), opens()), MemoryJournal()
    service = live(simulated_sessions(miniqmt(exchange, UndeclaredTrader)), journal)
    with pytest.raises(ApprovalError, match="does not declare itself simulated"):
        send(service)
    assert exchange.sends.total() == 0
    assert "does not declare itself simulated" in journal.parked()[-1]["reason"]


def test_execute_when_real_wiring_then_simulated_approval_refused_before_any_session() -> None:
    exchange, journal = SimExchange(opening(), opens()), MemoryJournal()
    service = live(miniqmt(exchange, SimulatedXtQuantTrader), journal)  # not marked: a real client's wiring
    with pytest.raises(ApprovalError, match="only a paper broker may fill it"):
        send(service)
    assert exchange.sends.total() == 0 and exchange.orders == {}


def test_qmt_when_bridge_runs_in_the_simulated_runtime_then_it_declares_simulated_and_a_real_one_does_not(
    redis_url: str,
) -> None:
    exchange = SimExchange(opening(), opens())
    runtime, broker = qmt_pair(exchange, redis_url)
    try:
        broker.connect()
        assert declares_simulated(broker)
        assert runtime.module is not None
        runtime.module.SIMULATED = False  # the script as a real QMT client runs it: nothing sets the flag
        broker.connect()
        assert not declares_simulated(broker)
        journal = MemoryJournal()
        service = live(simulated_sessions(lambda day: broker), journal)
        with pytest.raises(ApprovalError, match="does not declare itself simulated"):
            send(service)
        assert exchange.sends.total() == 0
    finally:
        broker.close()
        runtime.stop()
