"""A broker counter (柜台) for one account and day: the truth the simulated MiniQMT and PTrade clients talk to.

It outlives client sessions, as the real counter does when a client disconnects. Orders are checked the
way the exchange checks them (lots, the per-order maximum, T+1 sellable shares, cash with fees) and
junked with the reason otherwise. With `auto_match`, an order that crosses the reference price fills at
that price at once; tests can also fill, partly fill and cancel by hand.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from alphamoe.broker.paper import MAX_ORDER_QUANTITY
from alphamoe.broker.xtconst import (
    ORDER_CANCELED,
    ORDER_JUNK,
    ORDER_PART_CANCEL,
    ORDER_PART_SUCC,
    ORDER_REPORTED,
    ORDER_SUCCEEDED,
)
from alphamoe.errors import DataError
from alphamoe.market.boards import board_of
from alphamoe.market.fees import FEN, CommissionSchedule, trade_fees
from alphamoe.market.lots import buy_quantity_error, sell_quantity_error
from alphamoe.market.ticks import on_tick
from alphamoe.portfolio import AccountState, Position
from alphamoe.types import Side

OPEN = frozenset({ORDER_REPORTED, ORDER_PART_SUCC})


@dataclass(frozen=True)
class SimTrade:
    trade_id: str
    order_id: int
    symbol: str
    side: Side
    quantity: int
    price: Decimal
    fees: Decimal
    remark: str


@dataclass(frozen=True)
class SimOrder:
    """The counter's order; `status` uses xtquant's codes (the simulated PTrade translates them)."""

    order_id: int
    symbol: str
    side: Side
    quantity: int
    price: Decimal
    remark: str
    strategy: str
    status: int = ORDER_REPORTED
    filled: int = 0
    filled_amount: Decimal = Decimal("0")
    message: str = ""

    @property
    def open(self) -> bool:
        return self.status in OPEN


@dataclass
class Holding:
    quantity: int
    sellable: int
    cost: Decimal
    last_price: Decimal


Listener = Callable[[SimOrder | SimTrade], None]


@dataclass
class SimExchange:
    account: AccountState
    prices: dict[str, Decimal]
    commission: CommissionSchedule = field(default_factory=CommissionSchedule)
    auto_match: bool = True
    online: bool = True

    def __post_init__(self) -> None:
        self.day: date = self.account.trading_day
        self.cash = self.account.cash
        self.holdings = {
            p.symbol: Holding(p.quantity, p.sellable, p.cost, p.last_price) for p in self.account.positions
        }
        self.orders: dict[int, SimOrder] = {}
        self.trades: list[SimTrade] = []
        self.sends: Counter[str] = Counter()  # order requests per remark: "sent twice" is visible here
        self._listeners: list[Listener] = []
        self._next_id = 1000
        self._lock = threading.RLock()

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # -- orders ------------------------------------------------------------------------------------
    def place(self, symbol: str, side: Side, quantity: int, price: Decimal, remark: str, strategy: str) -> SimOrder:
        with self._lock:
            self.sends[remark] += 1
            self._next_id += 1
            order = SimOrder(self._next_id, symbol, side, quantity, price.quantize(FEN), remark, strategy)
            reason = self._refusal(order)
            if reason is not None:
                order = replace(order, status=ORDER_JUNK, message=reason)
            self._store(order)
            if order.open and self.auto_match and symbol in self.prices:
                reference = self.prices[symbol]
                if (side is Side.BUY and price >= reference) or (side is Side.SELL and price <= reference):
                    self.fill(order.order_id, quantity, reference)
            return self.orders[order.order_id]

    def fill(self, order_id: int, quantity: int | None = None, price: Decimal | None = None) -> SimTrade | None:
        """Trade (part of) an open order; None when it is not open."""
        with self._lock:
            order = self.orders[order_id]
            if not order.open:
                return None
            quantity = min(quantity or order.quantity, order.quantity - order.filled)
            if order.side is Side.SELL:
                quantity = min(quantity, self.holdings[order.symbol].quantity)
            if quantity <= 0:
                return None
            price = (price or order.price).quantize(FEN)
            notional = price * quantity
            fees = trade_fees(order.symbol, order.side, quantity, price, self.day, self.commission)
            trade = SimTrade(
                f"T{len(self.trades) + 1:06d}", order_id, order.symbol, order.side, quantity, price, fees, order.remark
            )
            self.trades.append(trade)
            self._book(trade)
            filled = order.filled + quantity
            status = ORDER_SUCCEEDED if filled == order.quantity else ORDER_PART_SUCC
            self._emit(trade)
            self._store(replace(order, status=status, filled=filled, filled_amount=order.filled_amount + notional))
            return trade

    def cancel(self, order_id: int) -> int:
        """Cancel an open order: 0 done, -1 already finished, -2 no such order (xtquant's codes)."""
        with self._lock:
            order = self.orders.get(order_id)
            if order is None:
                return -2
            if not order.open:
                return -1
            status = ORDER_PART_CANCEL if order.filled else ORDER_CANCELED
            self._store(replace(order, status=status, message="cancelled"))
            return 0

    def junk(self, order_id: int, reason: str) -> None:
        """Junk an order the counter had accepted (废单 57 after 已报 50): the exchange refused it late."""
        with self._lock:
            order = self.orders[order_id]
            assert order.open and not order.filled, "only an unfilled working order is junked"
            self._store(replace(order, status=ORDER_JUNK, message=reason))

    def expire(self) -> None:
        """The close: every open order is cancelled (day orders), fills kept."""
        for order_id, order in list(self.orders.items()):
            if order.open:
                self.cancel(order_id)

    def state(self) -> AccountState:
        return AccountState(
            account_id=self.account.account_id,
            trading_day=self.day,
            cash=self.cash,
            receivables=self.account.receivables,
            positions=tuple(
                Position(symbol=s, quantity=h.quantity, sellable=h.sellable, cost=h.cost, last_price=h.last_price)
                for s, h in sorted(self.holdings.items())
                if h.quantity > 0
            ),
        )

    def free_cash(self) -> Decimal:
        frozen = sum(
            (
                (o.quantity - o.filled) * o.price
                + trade_fees(o.symbol, o.side, o.quantity - o.filled, o.price, self.day, self.commission)
                for o in self.orders.values()
                if o.open and o.side is Side.BUY
            ),
            Decimal("0"),
        )
        return self.cash - frozen

    # -- internals ---------------------------------------------------------------------------------
    def _refusal(self, order: SimOrder) -> str | None:
        try:
            held = self.holdings.get(order.symbol)
            if order.side is Side.BUY:
                lot = buy_quantity_error(order.symbol, order.quantity)
            else:
                lot = sell_quantity_error(order.symbol, order.quantity, held.quantity if held else 0)
            maximum = MAX_ORDER_QUANTITY[board_of(order.symbol)]
        except DataError as exc:
            return str(exc)
        if lot is not None:
            return lot
        if order.quantity > maximum:
            return f"{order.quantity} exceeds the per-order maximum {maximum}"
        if order.price <= 0 or not on_tick(order.price):
            return f"price {order.price} is not on the 0.01 tick"
        if order.side is Side.SELL:
            frozen = sum(
                o.quantity - o.filled
                for o in self.orders.values()
                if o.open and o.side is Side.SELL and o.symbol == order.symbol
            )
            free = (held.sellable if held else 0) - frozen
            if order.quantity > free:
                return f"T+1: SELL {order.quantity} of {order.symbol} exceeds the {free} sellable shares"
            return None
        cost = order.quantity * order.price + trade_fees(
            order.symbol, Side.BUY, order.quantity, order.price, self.day, self.commission
        )
        if cost > self.free_cash():
            return f"insufficient cash: {cost} > {self.free_cash()} CNY"
        return None

    def _book(self, trade: SimTrade) -> None:
        notional = trade.quantity * trade.price
        h = self.holdings.get(trade.symbol)
        if trade.side is Side.BUY:
            self.cash -= notional + trade.fees
            if h is None:
                self.holdings[trade.symbol] = Holding(trade.quantity, 0, notional + trade.fees, trade.price)
            else:
                h.quantity += trade.quantity
                h.cost += notional + trade.fees
            return
        assert h is not None and h.quantity >= trade.quantity, "the counter never sells shares it does not hold"
        self.cash += notional - trade.fees
        h.cost = (h.cost * (h.quantity - trade.quantity) / h.quantity).quantize(FEN) if h.quantity else Decimal(0)
        h.quantity -= trade.quantity
        h.sellable -= trade.quantity

    def _store(self, order: SimOrder) -> None:
        self.orders[order.order_id] = order
        self._emit(order)

    def _emit(self, item: SimOrder | SimTrade) -> None:
        for listener in list(self._listeners):
            listener(item)
