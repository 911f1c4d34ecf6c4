"""One conformance suite, every adapter: paper, miniqmt (simulated XtQuantTrader), ptrade (simulated API),
remote (a real HTTP gateway on 127.0.0.1 wrapping a paper broker), qmt (the bridge script in a simulated QMT
runtime, over a real Redis).

Every test takes `harness` and speaks only the Broker protocol; the simulated counters quote the day's
opens, so a marketable order fills where the paper broker fills it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from support.broker_day import DAY, opens
from support.keys import GATEWAY_TOKEN
from support.qmt import qmt_pair

from alphamoe.broker.gateway import Gateway, make_server
from alphamoe.broker.miniqmt import MiniQmtBroker
from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import Broker, BrokerOrder, BrokerUnavailableError, SubmitOrder
from alphamoe.broker.ptrade import PTradeBroker
from alphamoe.broker.remote import RemoteBroker
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.broker.simulated.ptrade import SimulatedPTrade
from alphamoe.broker.simulated.xtquant import SimulatedXtQuantTrader, StockAccount
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState, Position
from alphamoe.types import OrderStatus, Side

TOKEN = GATEWAY_TOKEN
OPEN_STATES = {OrderStatus.SUBMITTED, OrderStatus.ACCEPTED}


def opening() -> AccountState:
    held = Position(symbol="600000.SH", quantity=1000, sellable=1000, cost=Decimal("10000"), last_price=Decimal("10"))
    return AccountState(account_id="acc", trading_day=DAY, cash=Decimal("100000"), positions=(held,))


@dataclass
class Harness:
    broker: Broker
    seen: list[BrokerOrder] = field(default_factory=list)


def _paper(store: BarStore) -> Broker:
    return PaperBroker(store, DAY, opening(), CommissionSchedule())


def _miniqmt(store: BarStore) -> Broker:
    exchange = SimExchange(opening(), opens())
    return MiniQmtBroker(
        "sim-userdata",
        "acc",
        DAY,
        trader_factory=lambda path, session: SimulatedXtQuantTrader(path, session, exchange=exchange),
        account_factory=StockAccount,
    )


def _ptrade(store: BarStore) -> Broker:
    api = SimulatedPTrade(SimExchange(opening(), opens()))
    return PTradeBroker(api, api.context, "acc", DAY)


@pytest.fixture(
    params=[
        "paper",
        "miniqmt",
        "ptrade",
        pytest.param("remote", marks=pytest.mark.integration),
        pytest.param("qmt", marks=pytest.mark.integration),
    ],
)
def harness(request: pytest.FixtureRequest, store: BarStore) -> Iterator[Harness]:
    server = None
    runtime = None
    if request.param == "qmt":
        runtime, broker = qmt_pair(SimExchange(opening(), opens()), request.getfixturevalue("redis_url"))
    elif request.param == "remote":
        server = make_server(Gateway(lambda day: _paper(store), TOKEN))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        broker: Broker = RemoteBroker(url, TOKEN, DAY, background=False)
    else:
        broker = {"paper": _paper, "miniqmt": _miniqmt, "ptrade": _ptrade}[request.param](store)
    h = Harness(broker)
    broker.subscribe(h.seen.append)
    broker.connect()
    yield h
    broker.close()
    if runtime is not None:
        runtime.stop()
    if server is not None:
        server.shutdown()
        server.server_close()


def order(symbol: str, side: Side, quantity: int, limit: str, cid: str = "AMCONFORMANCE0000001") -> SubmitOrder:
    return SubmitOrder(
        client_order_id=cid,
        order_id=f"{DAY}:acc:{symbol}:{side.value}",
        account_id="acc",
        trading_day=DAY,
        symbol=symbol,
        side=side,
        quantity=quantity,
        limit_price=Decimal(limit),
    )


def final(h: Harness, cid: str) -> BrokerOrder:
    return next(o for o in h.broker.orders() if o.client_order_id == cid)


def test_connect_when_called_again_then_a_fresh_session_id(harness: Harness) -> None:
    first = harness.broker.session_id
    harness.broker.connect()
    assert harness.broker.connected
    assert harness.broker.session_id != first


def test_submit_when_buy_crosses_the_open_then_filled_at_the_open_and_held(harness: Harness) -> None:
    harness.broker.submit(order("600003.SH", Side.BUY, 100, "10.10"))
    done = final(harness, "AMCONFORMANCE0000001")
    assert done.status is OrderStatus.FILLED
    assert sum(f.quantity for f in done.fills) == 100
    assert {f.price for f in done.fills} == {Decimal("10.00")}
    position = harness.broker.account().position("600003.SH")
    assert position is not None and (position.quantity, position.sellable) == (100, 0)  # T+1


def test_submit_when_buy_limit_below_the_market_then_rests_and_cancel_cancels(harness: Harness) -> None:
    rested = harness.broker.submit(order("600000.SH", Side.BUY, 1000, "9.79"))
    assert rested.status in OPEN_STATES
    harness.broker.cancel(rested.client_order_id)
    assert final(harness, rested.client_order_id).status is OrderStatus.CANCELLED
    assert harness.broker.account().cash == Decimal("100000")


def test_submit_when_same_client_order_id_twice_then_one_order_at_the_broker(harness: Harness) -> None:
    harness.broker.submit(order("600003.SH", Side.BUY, 100, "10.10"))
    harness.broker.submit(order("600003.SH", Side.BUY, 100, "10.10"))
    ours = [o for o in harness.broker.orders() if o.client_order_id == "AMCONFORMANCE0000001"]
    assert len(ours) == 1
    position = harness.broker.account().position("600003.SH")
    assert position is not None and position.quantity == 100


def test_submit_when_odd_lot_buy_then_rejected_with_the_reason(harness: Harness) -> None:
    harness.broker.submit(order("600003.SH", Side.BUY, 150, "10.10"))
    rejected = final(harness, "AMCONFORMANCE0000001")
    assert rejected.status is OrderStatus.REJECTED
    assert "150" in rejected.reason


def test_submit_when_selling_more_than_sellable_then_rejected_t_plus_one(harness: Harness) -> None:
    harness.broker.submit(order("600003.SH", Side.BUY, 100, "10.10", cid="AMCONFORMANCEBUY0001"))
    harness.broker.submit(order("600003.SH", Side.SELL, 100, "9.90", cid="AMCONFORMANCESELL001"))
    assert final(harness, "AMCONFORMANCESELL001").status is OrderStatus.REJECTED


def test_submit_when_sell_fills_then_cash_up_and_shares_down(harness: Harness) -> None:
    harness.broker.submit(order("600000.SH", Side.SELL, 400, "9.90"))
    assert final(harness, "AMCONFORMANCE0000001").status is OrderStatus.FILLED
    state = harness.broker.account()
    position = state.position("600000.SH")
    assert position is not None and position.quantity == 600
    assert state.cash > Decimal("100000") + Decimal("4000")


def test_callbacks_when_order_fills_then_the_last_report_is_the_queried_state(harness: Harness) -> None:
    harness.broker.submit(order("600003.SH", Side.BUY, 100, "10.10"))
    reports = [o for o in harness.seen if o.client_order_id == "AMCONFORMANCE0000001"]
    assert reports, "the broker reported nothing through the callback"
    assert reports[-1].status is OrderStatus.FILLED
    assert reports[-1].fills == final(harness, "AMCONFORMANCE0000001").fills


def test_end_of_day_when_an_order_rests_then_it_expires(harness: Harness) -> None:
    harness.broker.submit(order("600000.SH", Side.BUY, 1000, "9.79"))
    state = harness.broker.end_of_day()
    assert final(harness, "AMCONFORMANCE0000001").status is OrderStatus.CANCELLED
    assert state.cash == Decimal("100000")


def test_submit_when_session_closed_then_broker_unavailable(harness: Harness) -> None:
    harness.broker.close()
    with pytest.raises(BrokerUnavailableError):
        harness.broker.submit(order("600003.SH", Side.BUY, 100, "10.10"))
