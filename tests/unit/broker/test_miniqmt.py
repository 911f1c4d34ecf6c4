"""The MiniQMT adapter's xtquant specifics: the vendored codes, one-shot sessions, pushes that lose trades."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from support.broker_day import DAY
from support.sim_desk import SimDesk, command

from alphamoe.broker import xtconst
from alphamoe.broker.miniqmt import MiniQmtBroker
from alphamoe.broker.protocol import BrokerUnavailableError
from alphamoe.broker.session import Backoff
from alphamoe.broker.simulated.xtquant import Faults, StockAccount
from alphamoe.types import OrderStatus


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (48, OrderStatus.SUBMITTED),
        (49, OrderStatus.SUBMITTED),
        (50, OrderStatus.ACCEPTED),
        (51, OrderStatus.PENDING_CANCEL),  # reported, cancel pending: not cancelled yet
        (52, OrderStatus.PENDING_CANCEL),
        (53, OrderStatus.CANCELLED),
        (54, OrderStatus.CANCELLED),
        (55, OrderStatus.PARTIALLY_FILLED),
        (56, OrderStatus.FILLED),
        (57, OrderStatus.REJECTED),
        (255, OrderStatus.UNKNOWN),
        (99, OrderStatus.UNKNOWN),
    ],
)
def test_status_map_when_xtquant_code_then_design_state(code: int, status: OrderStatus) -> None:
    assert xtconst.to_status(code) is status


def test_check_against_when_installed_xtquant_differs_then_names_the_constant() -> None:
    real = SimpleNamespace(**{name: getattr(xtconst, name) for name in xtconst._CHECKED})
    assert xtconst.check_against(real) == []  # type: ignore[arg-type]
    real.STOCK_BUY = 1
    assert xtconst.check_against(real) == ["STOCK_BUY: vendored 23, xtquant 1"]  # type: ignore[arg-type]


def test_connect_when_client_down_then_unavailable_and_each_attempt_a_new_session() -> None:
    sim = SimDesk()
    sim.exchange.online = False
    broker = MiniQmtBroker("sim", "acc", DAY, trader_factory=sim.trader, account_factory=StockAccount)
    for _ in range(2):
        with pytest.raises(BrokerUnavailableError, match="connect"):
            broker.connect()
    sim.exchange.online = True
    broker.connect()
    assert len({t.session for t in sim.traders}) == 3  # one-shot connect: a new trader, a new session id each time


def test_order_push_when_trade_pushes_lost_then_trades_fetched() -> None:
    sim = SimDesk(faults=Faults(hold=True))
    desk = sim.desk()
    desk.submit(command(1), "sig")
    sim.pump()
    sim.exchange.fill(next(iter(sim.exchange.orders)), 1000, Decimal("10.00"))
    trader = sim.traders[-1]
    trader.queue = [(name, item) for name, item in trader.queue if name != "on_stock_trade"]
    sim.pump()
    record = sim.journal.get(command(1).client_order_id)
    assert record is not None and (record.status, record.filled_quantity) == (OrderStatus.FILLED, 1000)


def test_backoff_when_attempts_grow_then_doubles_up_to_the_cap() -> None:
    backoff = Backoff(first=0.1, cap=1.0)
    assert [backoff.delay(n) for n in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
