"""The order state machine: the transition table, and merging reports that come late, twice or out of order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support.broker_day import DAY

from alphamoe.broker.orders import TRANSITIONS, ChangeKind, OrderRecord, can_move, mark, merge
from alphamoe.broker.protocol import BrokerOrder, Fill, SubmitOrder
from alphamoe.types import OrderStatus, Side

S = OrderStatus


def record(status: OrderStatus = S.NEW) -> OrderRecord:
    command = SubmitOrder(
        client_order_id="AMORDER0000000000001",
        order_id="o-1",
        account_id="acc",
        trading_day=DAY,
        symbol="600000.SH",
        side=Side.BUY,
        quantity=1000,
        limit_price=Decimal("10.20"),
    )
    return OrderRecord.new(command, broker="sim", approval="sig").with_changes(status=status)


def fill(quantity: int, trade_id: str) -> Fill:
    return Fill(
        client_order_id="AMORDER0000000000001",
        symbol="600000.SH",
        side=Side.BUY,
        quantity=quantity,
        price=Decimal("10.10"),
        fees=Decimal("5"),
        trade_id=trade_id,
    )


def report(status: OrderStatus, *fills: Fill, quantity: int = 1000) -> BrokerOrder:
    return BrokerOrder(
        client_order_id="AMORDER0000000000001",
        order_id="o-1",
        symbol="600000.SH",
        side=Side.BUY,
        quantity=quantity,
        limit_price=Decimal("10.20"),
        status=status,
        filled_quantity=sum(f.quantity for f in fills),
        fills=fills,
        reason="cancelled by request" if status is S.CANCELLED else "",
    )


def test_transition_table_when_terminal_then_only_a_late_fill_leaves_cancelled() -> None:
    assert TRANSITIONS[S.FILLED] == frozenset()
    assert TRANSITIONS[S.REJECTED] == frozenset()
    assert TRANSITIONS[S.CANCELLED] == frozenset({S.FILLED})
    assert S.NEW not in TRANSITIONS[S.UNKNOWN]  # in flight: never back to unsent


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        (S.NEW, S.ACCEPTED, True),
        (S.SUBMITTED, S.PENDING_CANCEL, True),
        (S.PENDING_CANCEL, S.ACCEPTED, True),  # the cancel was refused
        (S.FILLED, S.ACCEPTED, False),
        (S.PARTIALLY_FILLED, S.ACCEPTED, False),
        (S.REJECTED, S.FILLED, False),
        (S.UNKNOWN, S.CANCELLED, True),
    ],
)
def test_can_move_when_asked_then_follows_the_table(current: OrderStatus, new: OrderStatus, allowed: bool) -> None:
    assert can_move(current, new) is allowed


def test_merge_when_first_report_then_submitted_once_and_fills_follow() -> None:
    accepted = merge(record(), report(S.ACCEPTED))
    assert [c.kind for c in accepted.changes] == [ChangeKind.SUBMITTED]
    filled = merge(accepted.record, report(S.FILLED, fill(1000, "T1")))
    assert [c.kind for c in filled.changes] == [ChangeKind.FILLED]
    assert (filled.record.status, filled.record.filled_quantity) == (S.FILLED, 1000)


def test_merge_when_report_goes_backwards_then_illegal_ignored_and_fills_kept() -> None:
    done = merge(record(), report(S.FILLED, fill(1000, "T1"))).record
    stale = merge(done, report(S.ACCEPTED))
    assert stale.illegal is not None and "FILLED → ACCEPTED" in stale.illegal
    assert stale.record == done
    assert stale.changes == ()


def test_merge_when_trade_reported_twice_then_counted_once() -> None:
    part = merge(record(), report(S.PARTIALLY_FILLED, fill(300, "T1"))).record
    again = merge(part, report(S.PARTIALLY_FILLED, fill(300, "T1")))
    assert again.record.filled_quantity == 300
    assert again.changes == ()


def test_merge_when_fill_arrives_after_cancel_then_accepted_as_a_late_fill() -> None:
    cancelled = merge(record(), report(S.CANCELLED)).record
    late = merge(cancelled, report(S.CANCELLED, fill(300, "T9")))
    assert late.illegal is None
    assert (late.record.status, late.record.filled_quantity) == (S.CANCELLED, 300)
    assert [c.kind for c in late.changes] == [ChangeKind.FILLED]


def test_merge_when_late_fills_complete_a_cancelled_order_then_filled() -> None:
    cancelled = merge(record(), report(S.CANCELLED)).record
    assert merge(cancelled, report(S.PARTIALLY_FILLED, fill(1000, "T1"))).record.status is S.FILLED


def test_merge_when_filled_pushed_before_its_trades_then_not_filled_yet() -> None:
    early = merge(record(S.ACCEPTED), report(S.FILLED))
    assert early.record.status is S.ACCEPTED
    part = merge(record(S.ACCEPTED), report(S.FILLED, fill(400, "T1")))
    assert part.record.status is S.PARTIALLY_FILLED


def test_merge_when_report_is_for_other_terms_then_raises() -> None:
    with pytest.raises(ValueError, match="journal has"):
        merge(record(), report(S.ACCEPTED, quantity=2000))


def test_mark_when_in_flight_then_unknown_and_never_back_to_new() -> None:
    unknown = mark(record(), S.UNKNOWN, "no answer").record
    assert unknown.status is S.UNKNOWN
    assert mark(unknown, S.NEW, "again").illegal is not None
