"""Issue 20 item 2: every adapter against the field's broker traps; after each, the journal equals the counter.

paper, miniqmt (simulated XtQuantTrader), qmt (the bridge script in a simulated QMT runtime, real Redis),
ptrade (simulated API) and remote (a real HTTP gateway over a trapped simulated MiniQMT). A trap that has
no meaning for an adapter (the paper broker has no client; PTrade runs on the broker's servers, with no quote
link of its own) is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.traps import ADAPTERS, SATURDAY, Rig, command, crossing, resting, rig

from alphamoe.broker.orders import TRANSITIONS
from alphamoe.broker.protocol import BrokerUnavailableError
from alphamoe.market.bars import BarStore
from alphamoe.types import OrderStatus, Side


def _params() -> list[object]:
    marks = {"qmt": pytest.mark.integration, "remote": pytest.mark.integration}
    return [pytest.param(name, marks=marks[name]) if name in marks else name for name in ADAPTERS]


@pytest.fixture(params=_params())
def adapter(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def trapped(adapter: str, store: BarStore, request: pytest.FixtureRequest) -> Iterator[Rig]:
    with rig(adapter, store, lambda: str(request.getfixturevalue("redis_url"))) as made:
        assert made.desk.start(), made.desk.health()
        yield made


def needs_client(r: Rig) -> None:
    if r.exchange is None:
        pytest.skip("the paper broker is its own counter: there is no client to misbehave")


def test_state_machine_when_accepted_then_junked_then_rejected_is_allowed() -> None:
    assert OrderStatus.REJECTED in TRANSITIONS[OrderStatus.ACCEPTED]


def test_status_57_after_accepted_then_journal_rejected_with_the_reason(trapped: Rig) -> None:
    needs_client(trapped)
    assert trapped.exchange is not None
    trapped.submit(resting(1))
    assert trapped.journal.get("AMTRAP00000000000001").status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
    trapped.exchange.junk(trapped.order_id("AMTRAP00000000000001"), "price outside the 2% cage (价格笼子)")
    trapped.settle()
    record = trapped.journal.get("AMTRAP00000000000001")
    assert record is not None and record.status is OrderStatus.REJECTED
    assert "价格笼子" in record.reason
    trapped.check()


def test_missing_callback_then_the_periodic_query_finds_fill_and_refusal(trapped: Rig) -> None:
    needs_client(trapped)
    trapped.traps.silent = True
    trapped.submit(crossing(1))
    trapped.submit(command(2, "600003.SH", Side.BUY, 900_000, "10.10"))  # insufficient funds: junked, silently
    trapped.desk.reconcile()
    assert trapped.journal.get("AMTRAP00000000000001").status is OrderStatus.FILLED  # type: ignore[union-attr]
    refused = trapped.journal.get("AMTRAP00000000000002")
    assert refused is not None and refused.status is OrderStatus.REJECTED and "cash" in refused.reason
    trapped.check()


def test_mixed_int_and_str_ids_then_normalised(trapped: Rig) -> None:
    needs_client(trapped)
    trapped.traps.mixed_ids = True
    trapped.submit(resting(1))
    trapped.submit(crossing(2))
    trapped.desk.cancel("AMTRAP00000000000001")
    trapped.settle()
    assert trapped.journal.get("AMTRAP00000000000001").status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert trapped.journal.get("AMTRAP00000000000002").status is OrderStatus.FILLED  # type: ignore[union-attr]
    trapped.check()


def test_inverted_cancel_return_then_the_query_decides(trapped: Rig) -> None:
    needs_client(trapped)
    trapped.traps.inverted_cancel = True
    trapped.submit(resting(1))
    trapped.desk.cancel("AMTRAP00000000000001")
    trapped.settle()
    assert trapped.journal.get("AMTRAP00000000000001").status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    trapped.check()


def test_ids_lost_after_reconnect_then_rebound_by_remark_and_cancellable(trapped: Rig) -> None:
    needs_client(trapped)
    trapped.traps.ids_lost = True
    trapped.submit(resting(1))
    trapped.restart()
    trapped.settle()
    trapped.desk.cancel("AMTRAP00000000000001")
    trapped.settle()
    assert trapped.journal.get("AMTRAP00000000000001").status is OrderStatus.CANCELLED  # type: ignore[union-attr]
    trapped.check()


def test_restart_at_0900_with_working_orders_then_reconciled_and_nothing_sent_twice(trapped: Rig) -> None:
    needs_client(trapped)
    trapped.submit(resting(1))
    trapped.submit(command(2, "600000.SH", Side.BUY, 500, "9.79"))
    trapped.restart()
    trapped.settle()
    trapped.submit(crossing(3))
    trapped.settle()
    assert trapped.journal.get("AMTRAP00000000000001").status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
    assert trapped.journal.get("AMTRAP00000000000003").status is OrderStatus.FILLED  # type: ignore[union-attr]
    trapped.check()


def test_quote_link_down_then_positions_from_the_trades_not_stale(trapped: Rig) -> None:
    needs_client(trapped)
    if trapped.name == "ptrade":
        pytest.skip("PTrade runs on the broker's servers: no client quote link to lose")
    assert trapped.exchange is not None
    trapped.traps.stale_positions = trapped.exchange.state()  # the link drops: the position list freezes
    trapped.submit(crossing(1))
    trapped.submit(command(2, "600000.SH", Side.SELL, 400, "9.90"))
    trapped.settle()
    state = trapped.broker.account()
    held = {p.symbol: p.quantity for p in state.positions}
    assert held == {"600000.SH": 600, "600003.SH": 100}
    assert trapped.desk.health()[0], trapped.desk.health()
    trapped.check()


def test_non_trading_day_then_no_login_loop_and_a_clear_state(
    adapter: str, store: BarStore, request: pytest.FixtureRequest
) -> None:
    if adapter == "paper":
        pytest.skip("the paper broker logs in nowhere")
    with rig(adapter, store, lambda: str(request.getfixturevalue("redis_url")), day=SATURDAY) as closed:
        closed.traps.closed = True
        before = closed.contacts()
        for _ in range(5):
            assert not closed.desk.start()
            closed.desk.reconcile()
        with pytest.raises(BrokerUnavailableError, match="not an A-share trading day"):
            closed.desk.ensure_ready()
        assert closed.contacts() == before, "the adapter kept trying to log in on a closed day"
        ok, status = closed.desk.health()
        assert not ok and "2024-03-09 is not an A-share trading day" in status and "2024-03-11" in status
