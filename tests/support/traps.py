"""Trap rigs: each adapter with a desk and a journal over a counter whose client plays the field's traps.

A rig's `restart` is the client's scheduled restart (MiniQMT or QMT closing around 09:00, the PTrade API
going away, the client behind a gateway dropping); `check` compares the journal with the counter's truth.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from alphamoe.broker.desk import OrderDesk
from alphamoe.broker.gateway import Gateway, make_server
from alphamoe.broker.journal import MemoryJournal
from alphamoe.broker.miniqmt import MiniQmtBroker
from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import Broker, BrokerUnavailableError, SubmitOrder
from alphamoe.broker.ptrade import PTradeBroker
from alphamoe.broker.qmt.adapter import keys
from alphamoe.broker.reconcile import reconcile
from alphamoe.broker.remote import RemoteBroker
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.broker.simulated.ptrade import SimulatedPTrade
from alphamoe.broker.simulated.traps import Traps
from alphamoe.broker.simulated.xtquant import SimulatedXtQuantTrader, StockAccount
from alphamoe.broker.xtconst import to_status
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState, Position
from alphamoe.types import Side
from support.broker_day import DAY, opens
from support.keys import GATEWAY_TOKEN
from support.qmt import qmt_broker, qmt_runtime
from support.sim_desk import FAST

ADAPTERS = ("paper", "miniqmt", "qmt", "ptrade", "remote")
SATURDAY = date(2024, 3, 9)


def opening(day: date = DAY) -> AccountState:
    held = Position(symbol="600000.SH", quantity=1000, sellable=1000, cost=Decimal("10000"), last_price=Decimal("10"))
    return AccountState(account_id="acc", trading_day=day, cash=Decimal("100000"), positions=(held,))


def command(n: int, symbol: str, side: Side, quantity: int, limit: str, day: date = DAY) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=f"AMTRAP{n:014d}",
        order_id=f"{day}:acc:{symbol}:{side.value}:{n}",
        account_id="acc",
        trading_day=day,
        symbol=symbol,
        side=side,
        quantity=quantity,
        limit_price=Decimal(limit),
    )


def resting(n: int, day: date = DAY) -> SubmitOrder:
    """A buy below the market: it works at the counter (已报) until cancelled."""
    return command(n, "600000.SH", Side.BUY, 1000, "9.79", day)


def crossing(n: int) -> SubmitOrder:
    """A buy above the open: it fills at once at the open."""
    return command(n, "600003.SH", Side.BUY, 100, "10.10")


@dataclass
class Rig:
    name: str
    broker: Broker
    desk: OrderDesk
    journal: MemoryJournal
    traps: Traps
    exchange: SimExchange | None
    restart: Callable[[], None]
    contacts: Callable[[], int]
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    def submit(self, order: SubmitOrder) -> None:
        self.desk.submit(order, "approval")

    def settle(self) -> None:
        """The periodic reconciliation, then ready again (a dropped session reconnects and reconciles)."""
        self.desk.reconcile()
        self.desk.ensure_ready()
        self.desk.reconcile()

    def order_id(self, cid: str) -> int:
        record = self.journal.get(cid)
        assert record is not None and record.broker_order_id, f"{cid} has no broker order id in the journal"
        return int(record.broker_order_id)

    def check(self) -> None:
        """The journal equals the counter's truth, order by order, and reconciliation finds nothing to say."""
        records = self.desk.records()
        if self.exchange is not None:
            by_id = {int(r.broker_order_id): r for r in records if r.broker_order_id}
            assert len(self.exchange.orders) == len(records), "every counter order is journaled once"
            for order_id, truth in self.exchange.orders.items():
                record = by_id.get(order_id)
                assert record is not None, f"counter order {order_id} ({truth.remark}) is not in the journal"
                assert (record.status, record.filled_quantity) == (to_status(truth.status), truth.filled), (
                    record.client_order_id
                )
                if truth.status == 57:
                    assert truth.message in record.reason
            sent = {remark: n for remark, n in self.exchange.sends.items() if remark}  # PTrade carries none
            assert all(n == 1 for n in sent.values()), f"sent twice: {sent}"
        result = reconcile(records, self.broker.orders(), self.broker.account(), self.journal.opening(self.desk.day))
        assert result.ok and not result.resend and not result.unknown, result.summary()


def _desk(broker: Broker, day: date) -> tuple[OrderDesk, MemoryJournal]:
    journal = MemoryJournal()
    return OrderDesk(broker, journal, day, FAST), journal


@contextmanager
def rig(name: str, store: BarStore, redis_url: Callable[[], str], day: date = DAY) -> Iterator[Rig]:
    """Build the rig of adapter `name` for `day` (not started: `rig.desk.start()`); stop everything after."""
    traps = Traps()
    exchange = SimExchange(opening(day), opens())
    cleanup: list[Callable[[], None]] = []
    if name == "paper":
        paper = PaperBroker(store, day, opening(day), CommissionSchedule())
        desk, journal = _desk(paper, day)
        made = Rig(name, paper, desk, journal, traps, None, lambda: None, lambda: 0)
    elif name in ("miniqmt", "remote"):
        traders: list[SimulatedXtQuantTrader] = []

        def trader(path: str, session: int) -> SimulatedXtQuantTrader:
            traders.append(SimulatedXtQuantTrader(path, session, exchange=exchange, traps=traps))
            return traders[-1]

        def miniqmt(for_day: date) -> MiniQmtBroker:
            return MiniQmtBroker("sim", "acc", for_day, trader_factory=trader, account_factory=StockAccount)

        def drop() -> None:
            traders[-1].drop()

        broker: Broker = miniqmt(day)
        if name == "remote":
            server = make_server(Gateway(miniqmt, GATEWAY_TOKEN))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            broker = RemoteBroker(f"http://127.0.0.1:{server.server_address[1]}", GATEWAY_TOKEN, day, background=False)
            cleanup += [server.shutdown, server.server_close]
        desk, journal = _desk(broker, day)
        made = Rig(name, broker, desk, journal, traps, exchange, drop, lambda: traps.logins)
    elif name == "ptrade":
        api = SimulatedPTrade(exchange, traps)

        def away_and_back() -> None:
            api.up = False
            with suppress(BrokerUnavailableError):  # the session notices: calls fail while the API is away
                ptrade.orders()
            api.up = True

        ptrade = PTradeBroker(api, api.context, "acc", day)
        desk, journal = _desk(ptrade, day)
        made = Rig(name, ptrade, desk, journal, traps, exchange, away_and_back, lambda: traps.logins)
    elif name == "qmt":
        url = redis_url()
        runtime = qmt_runtime(exchange, url, traps)
        qmt = qmt_broker(url, day=day)
        cleanup.append(runtime.stop)
        desk, journal = _desk(qmt, day)
        made = Rig(name, qmt, desk, journal, traps, exchange, runtime.restart, lambda: qmt.client.xlen(keys("acc")[0]))
    else:
        raise ValueError(name)
    made.cleanup = cleanup
    try:
        yield made
    finally:
        made.broker.close()
        for step in cleanup:
            step()
