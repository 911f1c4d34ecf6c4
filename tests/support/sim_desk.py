"""A MiniQMT desk over a simulated counter: the counter outlives desks and sessions, as the real one does."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from alphamoe.broker.desk import DeskConfig, OrderDesk
from alphamoe.broker.journal import Journal, MemoryJournal
from alphamoe.broker.miniqmt import MiniQmtBroker
from alphamoe.broker.protocol import Broker, SubmitOrder
from alphamoe.broker.session import Backoff
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.broker.simulated.xtquant import Faults, SimulatedXtQuantTrader, StockAccount
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import OrderApproved, OrderProposed
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages.execute import ExecuteStage
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.portfolio import AccountState, Position
from alphamoe.types import Side
from support.approvals import approved
from support.broker_day import DAY, opens

FAST = DeskConfig(wait_s=0.3, backoff=Backoff(first=0.01, cap=0.05))


def opening(cash: str = "1000000") -> AccountState:
    held = Position(symbol="600000.SH", quantity=2000, sellable=2000, cost=Decimal("20000"), last_price=Decimal("10"))
    return AccountState(account_id="acc", trading_day=DAY, cash=Decimal(cash), positions=(held,))


@dataclass
class SimDesk:
    """The counter, the journal, and the traders each desk session made (newest last)."""

    exchange: SimExchange = field(default_factory=lambda: SimExchange(opening(), opens(), auto_match=False))
    journal: Journal = field(default_factory=MemoryJournal)
    faults: Faults = field(default_factory=Faults)
    traders: list[SimulatedXtQuantTrader] = field(default_factory=list)

    def trader(self, path: str, session: int) -> SimulatedXtQuantTrader:
        made = SimulatedXtQuantTrader(path, session, exchange=self.exchange, faults=self.faults)
        self.traders.append(made)
        return made

    def broker(self, day: object = DAY) -> Broker:
        """A new MiniQMT adapter on this counter (a new execute process's), for `ExecuteStage(brokers=...)`."""
        return MiniQmtBroker("sim", "acc", DAY, trader_factory=self.trader, account_factory=StockAccount)

    def desk(self) -> OrderDesk:
        """A fresh execute process: new adapter, new session, same counter and journal."""
        desk = OrderDesk(self.broker(), self.journal, DAY, FAST)
        desk.start()
        return desk

    def pump(self) -> None:
        for t in self.traders:
            t.pump()

    def kill(self) -> None:
        """SIGKILL the execute process: its sessions die with it, pushes still queued go nowhere."""
        for t in self.traders:
            t.stop()
            t.queue.clear()
            t.callback = None


def command(n: int, side: Side = Side.BUY, quantity: int = 1000, limit: str = "10.00") -> SubmitOrder:
    return SubmitOrder(
        client_order_id=f"AMTEST{n:014d}",
        order_id=f"{DAY}:acc:600000.SH:{side.value}:{n}",
        account_id="acc",
        trading_day=DAY,
        symbol="600000.SH",
        side=side,
        quantity=quantity,
        limit_price=Decimal(limit),
    )


def buy_order(n: int | None = None, *, quantity: int = 1000, limit: str = "10.20") -> OrderProposed:
    """A sized buy of 600000.SH on DAY (order id suffixed with `n` when several are needed)."""
    return OrderProposed(
        trading_day=DAY,
        order_id=f"{DAY}:acc:600000.SH:BUY" + ("" if n is None else f":{n}"),
        account_id="acc",
        symbol="600000.SH",
        side=Side.BUY,
        quantity=quantity,
        limit_price=Decimal(limit),
        reference_price=Decimal("10.00"),
        target_weight=0.01,
        kelly_fraction=0.1,
    )


def approval(order: OrderProposed, secret: bytes, run_id: str, signature: str | None = None) -> Envelope[OrderApproved]:
    """Risk's signed approval event of `order` (another `signature` to test a forged one)."""
    payload = approved(order, secret)
    if signature is not None:
        payload = OrderApproved(**{**dict(payload), "signature": signature})
    return build_event(payload, run_id=run_id, source="/alphamoe/risk")


def sim_stage(
    sim: SimDesk, store: BarStore, tmp_path: Path, secret: bytes, journal: Journal | None = None
) -> ExecuteStage:
    """An execute stage over the simulated counter, journaling to `journal` (default: the desk's)."""
    return ExecuteStage(
        MarketData(store),
        AccountBook(tmp_path, "acc", Decimal("1000000")),
        secret,
        CommissionSchedule(),
        journal=sim.journal if journal is None else journal,
        brokers=sim.broker,
        desk=FAST,
    )
