"""Property: whatever happens (submits, cancels, fills, pushes dropped, duplicated, reordered or held,
disconnects, crashes and restarts), after a final reconciliation the journal equals the counter's truth,
no client order id reached the counter twice, and no position went negative."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.sim_desk import SimDesk, command

from alphamoe.broker.orders import OrderRecord
from alphamoe.broker.protocol import BrokerUnavailableError
from alphamoe.broker.reconcile import net_fills
from alphamoe.broker.simulated.xtquant import Faults
from alphamoe.broker.xtconst import to_status
from alphamoe.types import Side

ORDERS = 6
SIDES = [Side.BUY, Side.SELL, Side.BUY, Side.BUY, Side.SELL, Side.BUY]
LIMITS = ["10.00", "9.90", "10.10", "9.80", "10.00", "10.20"]

action = st.one_of(
    st.tuples(st.just("submit"), st.integers(0, ORDERS - 1), st.sampled_from([100, 500, 1000])),
    st.tuples(st.just("cancel"), st.integers(0, ORDERS - 1)),
    st.tuples(st.just("fill"), st.integers(0, ORDERS - 1), st.sampled_from([100, 300, 1000])),
    st.tuples(st.just("pump")),
    st.tuples(st.just("disconnect")),
    st.tuples(st.just("reconcile")),
    st.tuples(st.just("restart"), st.sampled_from(["clean", "after_claim", "after_send"]), st.integers(0, ORDERS - 1)),
)


def _order(k: int, quantity: int) -> Any:
    return command(k, SIDES[k], quantity if SIDES[k] is Side.BUY else min(quantity, 500), LIMITS[k])


def _check_positions(sim: SimDesk) -> None:
    assert all(h.quantity >= 0 and h.sellable >= 0 for h in sim.exchange.holdings.values())
    net = net_fills(sim.journal.records())
    assert 2000 + net.get("600000.SH", 0) >= 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    actions=st.lists(action, min_size=1, max_size=25),
    drop=st.sampled_from([0.0, 0.3]),
    duplicate=st.sampled_from([0.0, 0.4]),
    reorder=st.sampled_from([0.0, 0.6]),
    hold=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_desk_when_anything_happens_then_journal_ends_equal_to_the_counter(
    actions: list[tuple[Any, ...]], drop: float, duplicate: float, reorder: float, hold: bool, seed: int
) -> None:
    sim = SimDesk(faults=Faults(drop=drop, duplicate=duplicate, reorder=reorder, hold=hold, seed=seed))
    desk = sim.desk()
    quantities: dict[int, int] = {}
    for step in actions:
        kind = step[0]
        try:
            if kind == "submit":
                k = step[1]
                quantities.setdefault(k, step[2])
                desk.submit(_order(k, quantities[k]), "sig")
            elif kind == "cancel" and sim.journal.get(command(step[1]).client_order_id) is not None:
                desk.cancel(command(step[1]).client_order_id)
            elif kind == "fill":
                placed = [o for o in sim.exchange.orders.values() if o.remark == command(step[1]).client_order_id]
                if placed:
                    sim.exchange.fill(placed[0].order_id, step[2])
            elif kind == "pump":
                sim.pump()
            elif kind == "disconnect" and sim.traders:
                sim.traders[-1].drop()
            elif kind == "reconcile":
                desk.reconcile()
            elif kind == "restart":
                k = step[2]
                cid = command(k).client_order_id
                if step[1] != "clean" and sim.journal.get(cid) is None:
                    # the crash: journaled, and maybe sent, but the process died before the answer
                    quantities.setdefault(k, 100)
                    sim.journal.claim(OrderRecord.new(_order(k, quantities[k]), broker="miniqmt", approval="sig"))
                    if step[1] == "after_send":
                        o = _order(k, quantities[k])
                        sim.exchange.place(o.symbol, o.side, o.quantity, o.limit_price, cid, "alphamoe")
                sim.kill()
                desk = sim.desk()
        except BrokerUnavailableError:
            pass  # the session dropped under the call: the order waits for reconciliation
        _check_positions(sim)

    sim.faults.drop = 0.0
    sim.pump()
    desk.ensure_ready()
    desk.reconcile()
    assert desk.health()[0], desk.health()[1]

    truth = {o.remark: o for o in sim.exchange.orders.values()}
    trades: dict[str, set[str]] = {}
    for t in sim.exchange.trades:
        trades.setdefault(t.remark, set()).add(t.trade_id)
    for record in sim.journal.records():
        broker = truth[record.client_order_id]
        assert record.status is to_status(broker.status), (record, broker)
        assert record.filled_quantity == broker.filled
        assert {f.trade_id for f in record.fills} == trades.get(record.client_order_id, set())
    assert all(count <= 1 for count in sim.exchange.sends.values()), sim.exchange.sends
    assert set(truth) == {r.client_order_id for r in sim.journal.records()}
    _check_positions(sim)
    assert sim.exchange.cash >= 0 and sim.exchange.cash <= Decimal("1000000") + Decimal("100000")
