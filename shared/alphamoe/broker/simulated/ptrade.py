"""A simulated PTrade API: the functions a PTrade strategy calls (`order`, `order_target`, `cancel_order`,
`get_orders`, `get_order`, `get_trades`, `get_positions`) and `context.portfolio`, over a SimExchange.

PTrade writes Shanghai codes as `.SS`, amounts are signed (negative sells), order ids are strings, and
states are the one-character codes below; there is no order remark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from alphamoe.broker.ptrade import from_ptrade, to_ptrade
from alphamoe.broker.simulated.exchange import SimExchange, SimOrder
from alphamoe.broker.simulated.traps import Traps
from alphamoe.types import Side

# PTrade order states (委托状态) by xtquant code of the counter
PT_STATUS = {50: "2", 51: "3", 52: "4", 53: "5", 54: "6", 55: "7", 56: "8", 57: "9"}


@dataclass
class PtOrder:
    id: str
    dt: datetime
    symbol: str
    amount: int
    limit: float
    filled: int
    status: str
    entrust_no: str
    error_info: str = ""


@dataclass
class PtTrade:
    business_id: str
    order_id: str
    security: str
    entrust_bs: str  # "1" buy, "2" sell
    business_amount: int
    business_price: float


@dataclass
class PtPosition:
    sid: str
    amount: int
    enable_amount: int
    cost_basis: float
    last_sale_price: float


@dataclass
class _Portfolio:
    exchange: SimExchange

    @property
    def cash(self) -> float:
        return float(self.exchange.cash)


@dataclass
class _Context:
    portfolio: _Portfolio
    blotter: dict[str, Any] = field(default_factory=dict)


class SimulatedPTrade:
    """The PTrade strategy API of one account, as the broker's PTrade server would offer it."""

    def __init__(self, exchange: SimExchange, traps: Traps | None = None) -> None:
        self.exchange = exchange
        self.traps = traps or Traps()
        self.context = _Context(_Portfolio(exchange))
        self.up = True

    def order(self, security: str, amount: int, limit_price: float | None = None) -> str | int | None:
        if not self.up or amount == 0 or limit_price is None:
            return None
        side = Side.BUY if amount > 0 else Side.SELL
        placed = self.exchange.place(from_ptrade(security), side, abs(amount), Decimal(str(limit_price)), "", "ptrade")
        return placed.order_id if self.traps.mixed_ids else str(placed.order_id)  # an int here, str elsewhere

    def order_target(self, security: str, amount: int, limit_price: float | None = None) -> str | int | None:
        held = self.exchange.holdings.get(from_ptrade(security))
        return self.order(security, amount - (held.quantity if held else 0), limit_price)

    def cancel_order(self, order_id: str) -> None:
        if self.up:
            self.exchange.cancel(int(order_id))

    def get_orders(self, security: str | None = None) -> list[PtOrder] | None:
        self.traps.logins += 1 if self.traps.closed else 0
        if not self.up or self.traps.closed:
            return None
        return [self._pt(o) for o in self.exchange.orders.values() if security in (None, to_ptrade(o.symbol))]

    def get_order(self, order_id: str) -> list[PtOrder]:
        order = self.exchange.orders.get(int(order_id))
        return [] if order is None or not self.up else [self._pt(order)]

    def get_trades(self) -> list[PtTrade] | None:
        if not self.up:
            return None
        return [
            PtTrade(
                t.trade_id,
                str(t.order_id),
                to_ptrade(t.symbol),
                "1" if t.side is Side.BUY else "2",
                t.quantity,
                float(t.price),
            )
            for t in self.exchange.trades
        ]

    def get_positions(self, security_list: list[str] | None = None) -> dict[str, PtPosition] | None:
        if not self.up:
            return None
        return {
            to_ptrade(p.symbol): PtPosition(
                to_ptrade(p.symbol), p.quantity, p.sellable, float(p.cost / p.quantity), float(p.last_price)
            )
            for p in self.exchange.state().positions
            if security_list is None or to_ptrade(p.symbol) in security_list
        }

    def _pt(self, o: SimOrder) -> PtOrder:
        sign = 1 if o.side is Side.BUY else -1
        return PtOrder(
            id=str(o.order_id),
            dt=datetime(2000, 1, 1),
            symbol=to_ptrade(o.symbol),
            amount=sign * o.quantity,
            limit=float(o.price),
            filled=sign * o.filled,
            status=PT_STATUS.get(o.status, "0"),
            entrust_no=str(o.order_id),
            error_info=o.message if o.status == 57 else "",
        )
