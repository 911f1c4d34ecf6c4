"""The PTrade adapter: a PTrade strategy's trading functions behind the `Broker` protocol.

PTrade strategies run on the broker's servers, so this adapter runs there too, inside a strategy, with
the strategy's API functions passed in (`order`, `cancel_order`, `get_orders`, `get_trades`,
`get_positions`, and `context.portfolio`); see functions/execute/README.md for the deployment.
PTrade has no order remark: the client order id ↔ PTrade order id map is kept here and journaled (the
desk stores `broker_order_id`); after a restart, reconciliation matches an unanswered order by its terms.
PTrade pushes nothing to this adapter: its `on_order_response`/`on_trade_response` handlers, or a
periodic `poll()`, turn the order list into reports.
"""

from __future__ import annotations

import itertools
import threading
from datetime import date
from decimal import Decimal
from typing import Any

from alphamoe.broker.protocol import BrokerOrder, BrokerUnavailableError, Fill, OrderCallback, SubmitOrder
from alphamoe.broker.trading_day import IsSession, require_trading_day
from alphamoe.market.fees import FEN, CommissionSchedule, trade_fees
from alphamoe.portfolio import AccountState, Position
from alphamoe.types import OrderStatus, Side

# PTrade order states (委托状态: 0 未报 … 9 废单) → ours
STATUS_PT2AM: dict[str, OrderStatus] = {
    "0": OrderStatus.SUBMITTED,
    "1": OrderStatus.SUBMITTED,
    "2": OrderStatus.ACCEPTED,
    "3": OrderStatus.PENDING_CANCEL,
    "4": OrderStatus.PENDING_CANCEL,
    "5": OrderStatus.CANCELLED,
    "6": OrderStatus.CANCELLED,
    "7": OrderStatus.PARTIALLY_FILLED,
    "8": OrderStatus.FILLED,
    "9": OrderStatus.REJECTED,
}
_sessions = itertools.count(1)


def to_ptrade(symbol: str) -> str:
    """PTrade writes Shanghai as .SS."""
    return symbol[:-3] + ".SS" if symbol.endswith(".SH") else symbol


def from_ptrade(code: str) -> str:
    return code[:-3] + ".SH" if code.endswith(".SS") else code


class PTradeBroker:
    """One PTrade account, driven from inside a PTrade strategy."""

    name = "ptrade"

    def __init__(
        self,
        api: Any,
        context: Any,
        account_id: str,
        day: date,
        *,
        commission: CommissionSchedule | None = None,
        sessions: IsSession | None = None,
    ) -> None:
        self.api, self.context, self.account_id, self.day = api, context, account_id, day
        self._sessions = sessions
        self.commission = commission or CommissionSchedule()
        self._connected = False
        self._session = 0
        self._cids: dict[str, str] = {}  # PTrade order id → client order id
        self._views: dict[str, BrokerOrder] = {}
        self._callbacks: list[OrderCallback] = []
        self._lock = threading.RLock()

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def session_id(self) -> str:
        return f"ptrade-{self._session}"

    def connect(self) -> None:
        require_trading_day(self.name, self.day, self._sessions)  # no login attempts on a closed day
        with self._lock:
            self._session = next(_sessions)
            if self.api.get_orders() is None:
                raise BrokerUnavailableError("PTrade API does not answer get_orders()")
            self._connected = True

    def close(self) -> None:
        self._connected = False

    def subscribe(self, callback: OrderCallback) -> None:
        self._callbacks.append(callback)

    def submit(self, order: SubmitOrder) -> BrokerOrder:
        with self._lock:
            self._check()
            known = self._views.get(order.client_order_id)
            if known is not None:
                return known
            amount = order.quantity if order.side is Side.BUY else -order.quantity
            pt_id = self.api.order(to_ptrade(order.symbol), amount, limit_price=float(order.limit_price))
            if pt_id is None:
                if self.api.get_orders() is None:
                    self._connected = False
                    raise BrokerUnavailableError("PTrade order() failed and the API does not answer")
                return self._publish(
                    BrokerOrder(
                        **_terms(order),
                        status=OrderStatus.REJECTED,
                        reason="PTrade order() returned no order id",
                    )
                )
            self._cids[str(pt_id)] = order.client_order_id
            self.poll()
            return self._views.get(order.client_order_id) or self._publish(
                BrokerOrder(**_terms(order), status=OrderStatus.SUBMITTED, broker_order_id=str(pt_id))
            )

    def cancel(self, client_order_id: str) -> BrokerOrder:
        with self._lock:
            self._check()
            view = self._views.get(client_order_id)
            if view is None:
                raise KeyError(f"PTrade adapter has no order {client_order_id!r}")
            if view.status not in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED):
                self.api.cancel_order(view.broker_order_id)
            self.poll()
            return self._views[client_order_id]

    def end_of_day(self) -> AccountState:
        for view in list(self._views.values()):
            self.cancel(view.client_order_id)
        return self.account()

    def poll(self) -> list[BrokerOrder]:
        """Turn PTrade's order and trade lists into reports (call from on_order_response/on_trade_response)."""
        return self.orders()

    def orders(self) -> list[BrokerOrder]:
        with self._lock:
            self._check()
            orders, trades = self.api.get_orders(), self.api.get_trades()
            if orders is None or trades is None:
                self._connected = False
                raise BrokerUnavailableError("PTrade API does not answer get_orders()/get_trades()")
            fills: dict[str, list[Fill]] = {}
            for t in trades:
                cid = self._cids.get(str(t.order_id), f"pt:{t.order_id}")
                symbol, side = from_ptrade(t.security), Side.BUY if t.entrust_bs == "1" else Side.SELL
                price = Decimal(str(t.business_price)).quantize(FEN)
                fills.setdefault(str(t.order_id), []).append(
                    Fill(
                        client_order_id=cid,
                        symbol=symbol,
                        side=side,
                        quantity=t.business_amount,
                        price=price,
                        fees=trade_fees(symbol, side, t.business_amount, price, self.day, self.commission),
                        trade_id=str(t.business_id),
                    )
                )
            views = []
            for o in orders:
                view = self._from_pt(o, tuple(fills.get(str(o.id), ())))
                views.append(view)
                if self._views.get(view.client_order_id) != view:
                    self._publish(view)
            return views

    def account(self) -> AccountState:
        with self._lock:
            self._check()
            positions = self.api.get_positions()
            if positions is None:
                self._connected = False
                raise BrokerUnavailableError("PTrade API does not answer get_positions()")
            return AccountState(
                account_id=self.account_id,
                trading_day=self.day,
                cash=Decimal(str(self.context.portfolio.cash)).quantize(FEN),
                positions=tuple(
                    Position(
                        symbol=from_ptrade(p.sid),
                        quantity=p.amount,
                        sellable=p.enable_amount,
                        cost=(Decimal(str(p.cost_basis)) * p.amount).quantize(FEN),
                        last_price=Decimal(str(p.last_sale_price)).quantize(FEN),
                    )
                    for _, p in sorted(positions.items())
                    if p.amount > 0
                ),
            )

    def _check(self) -> None:
        if not self._connected:
            raise BrokerUnavailableError(f"PTrade session {self.session_id} is not connected")

    def _from_pt(self, o: Any, fills: tuple[Fill, ...]) -> BrokerOrder:
        cid = self._cids.get(str(o.id), f"pt:{o.id}")
        filled = sum(f.quantity for f in fills)
        notional = sum((f.price * f.quantity for f in fills), Decimal("0"))
        return BrokerOrder(
            client_order_id=cid,
            order_id=cid,
            symbol=from_ptrade(o.symbol),
            side=Side.BUY if o.amount > 0 else Side.SELL,
            quantity=abs(o.amount),
            limit_price=Decimal(str(o.limit)).quantize(FEN),
            status=STATUS_PT2AM.get(str(o.status), OrderStatus.UNKNOWN),
            filled_quantity=filled,
            average_price=(notional / filled).quantize(Decimal("0.0001")) if filled else None,
            fees=sum((f.fees for f in fills), Decimal("0")),
            fills=fills,
            reason=str(getattr(o, "error_info", "") or ""),  # the junk reason, where the PTrade build gives one
            broker_order_id=str(o.id),
        )

    def _publish(self, view: BrokerOrder) -> BrokerOrder:
        self._views[view.client_order_id] = view
        for callback in self._callbacks:
            callback(view)
        return view


def _terms(order: SubmitOrder) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "order_id": order.order_id,
        "symbol": order.symbol,
        "side": order.side,
        "quantity": order.quantity,
        "limit_price": order.limit_price,
    }
