"""The order desk over a simulated MiniQMT: journal before send, reconnect, reconciliation, fail closed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support.sim_desk import SimDesk, command

from alphamoe.broker.orders import ChangeKind, OrderRecord
from alphamoe.broker.protocol import BrokerUnavailableError
from alphamoe.broker.session import SessionState
from alphamoe.broker.simulated.exchange import SimOrder, SimTrade
from alphamoe.broker.simulated.xtquant import Faults
from alphamoe.types import OrderStatus, Side


def test_submit_when_sent_then_journaled_before_the_counter_sees_it() -> None:
    sim = SimDesk()
    at_send: list[OrderStatus | None] = []

    def spy(item: SimOrder | SimTrade) -> None:
        if isinstance(item, SimOrder) and item.remark == command(1).client_order_id and not at_send:
            journaled = sim.journal.get(item.remark)
            at_send.append(None if journaled is None else journaled.status)

    sim.exchange.listen(spy)  # before the trader's own listener: sees the counter before any push
    desk = sim.desk()
    changes = desk.submit(command(1), "sig")
    assert at_send == [OrderStatus.NEW]
    assert [c.kind for c in changes] == [ChangeKind.SUBMITTED]
    assert sim.journal.get(command(1).client_order_id).status is OrderStatus.ACCEPTED  # type: ignore[union-attr]


def test_submit_when_replayed_then_not_sent_again_and_parked() -> None:
    sim = SimDesk()
    desk = sim.desk()
    desk.submit(command(1), "sig")
    assert desk.submit(command(1), "sig") == []
    assert sim.exchange.sends[command(1).client_order_id] == 1
    assert "replayed" in sim.journal.parked()[-1]["reason"]


def test_fills_when_pushes_duplicated_and_reordered_then_journal_counts_each_trade_once() -> None:
    sim = SimDesk(faults=Faults(duplicate=0.5, reorder=0.7, hold=True, seed=3))
    desk = sim.desk()
    desk.submit(command(1), "sig")
    order_id = next(iter(sim.exchange.orders))
    sim.exchange.fill(order_id, 300, Decimal("10.00"))
    sim.exchange.fill(order_id, 700, Decimal("9.99"))
    sim.pump()
    record = sim.journal.get(command(1).client_order_id)
    assert record is not None
    assert (record.status, record.filled_quantity, len(record.fills)) == (OrderStatus.FILLED, 1000, 2)
    fills = [c for c in desk.drain() if c.kind is ChangeKind.FILLED]
    assert sum(c.fill.quantity for c in fills if c.fill) == 1000


def test_reconcile_when_trade_pushes_dropped_then_missing_fills_applied() -> None:
    sim = SimDesk(faults=Faults(drop=1.0))
    desk = sim.desk()
    desk.submit(command(1), "sig")
    sim.exchange.fill(next(iter(sim.exchange.orders)), 1000, Decimal("10.00"))
    assert sim.journal.get(command(1).client_order_id).filled_quantity == 0  # type: ignore[union-attr]
    desk.reconcile()
    record = sim.journal.get(command(1).client_order_id)
    assert record is not None and (record.status, record.filled_quantity) == (OrderStatus.FILLED, 1000)


def test_restart_when_killed_after_send_before_journal_update_then_resolved_by_remark_not_resent() -> None:
    sim = SimDesk()
    sim.desk()
    # the crash: claimed and sent, the answer never journaled
    sim.journal.claim(OrderRecord.new(command(1), broker="miniqmt", approval="sig"))
    placed = sim.exchange.place("600000.SH", Side.BUY, 1000, Decimal("10.00"), command(1).client_order_id, "alphamoe")
    sim.exchange.fill(placed.order_id, 1000, Decimal("10.00"))
    desk = sim.desk()
    record = sim.journal.get(command(1).client_order_id)
    assert desk.health()[0]
    assert record is not None and record.status is OrderStatus.FILLED
    assert sim.exchange.sends[command(1).client_order_id] == 1


def test_restart_when_killed_between_journal_and_send_then_sent_exactly_once() -> None:
    sim = SimDesk()
    sim.journal.claim(OrderRecord.new(command(2), broker="miniqmt", approval="sig"))
    desk = sim.desk()
    assert desk.health()[0]
    assert sim.exchange.sends[command(2).client_order_id] == 1
    assert sim.journal.get(command(2).client_order_id).status is OrderStatus.ACCEPTED  # type: ignore[union-attr]


def test_disconnect_when_counter_down_then_not_ready_and_orders_wait_bounded() -> None:
    sim = SimDesk()
    desk = sim.desk()
    sim.exchange.online = False
    sim.traders[-1].drop()
    assert desk.health()[0] is False
    with pytest.raises(BrokerUnavailableError, match="not ready after"):
        desk.submit(command(1), "sig")
    assert sim.exchange.sends[command(1).client_order_id] == 0


def test_reconnect_when_counter_back_then_new_session_reconciled_before_sending() -> None:
    sim = SimDesk()
    desk = sim.desk()
    desk.submit(command(1), "sig")
    first = desk.broker.session_id
    sim.traders[-1].drop()
    sim.exchange.fill(next(iter(sim.exchange.orders)), 1000, Decimal("10.00"))  # traded while we were away
    desk.submit(command(2), "sig")
    assert desk.broker.session_id != first
    assert len(desk.session.sessions) == 2
    assert sim.journal.get(command(1).client_order_id).status is OrderStatus.FILLED  # type: ignore[union-attr]
    assert sim.exchange.sends[command(2).client_order_id] == 1


def test_reconcile_when_counter_has_an_order_not_ours_then_reported_not_adopted() -> None:
    sim = SimDesk()
    desk = sim.desk()
    sim.exchange.place("600000.SH", Side.BUY, 100, Decimal("9.00"), "typed-by-hand", "")
    result = desk.reconcile()
    assert [o.client_order_id for o in result.unknown] == ["typed-by-hand"]
    assert sim.journal.get("typed-by-hand") is None
    assert desk.health()[0]


def test_reconcile_when_positions_do_not_add_up_then_fails_closed() -> None:
    sim = SimDesk()
    desk = sim.desk()
    sim.exchange.holdings["600000.SH"].quantity += 500  # shares from nowhere
    desk.reconcile()
    ready, why = desk.health()
    assert not ready
    assert desk.session.state is SessionState.FAILED and "600000.SH" in why
    with pytest.raises(BrokerUnavailableError, match="failed closed"):
        desk.submit(command(1), "sig")
    assert sim.exchange.sends[command(1).client_order_id] == 0


def test_cancel_when_cancel_code_lies_then_the_queried_state_wins() -> None:
    sim = SimDesk(faults=Faults(lie_on_cancel=1.0))
    desk = sim.desk()
    desk.submit(command(1, limit="9.00"), "sig")
    desk.cancel(command(1).client_order_id)
    assert sim.journal.get(command(1).client_order_id).status is OrderStatus.CANCELLED  # type: ignore[union-attr]
