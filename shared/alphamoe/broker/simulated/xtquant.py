"""A simulated `xtquant.xttrader.XtQuantTrader`: the real method names, signatures and return codes.

It talks to a SimExchange (the counter) and pushes the real callback objects' fields. Faults are what
the real client does to its callers: pushes dropped, duplicated, reordered or held back (delivered only
on `pump()`), pushes that precede `order_stock`'s answer, a one-shot `connect()` (a dropped session
never comes back: a new trader with a new session id must be made), and cancel return codes that lie.
`Traps` add the field's reported failures: silence, int/str ids, ids lost after a reconnect, a frozen
position list, a closed day.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from alphamoe.broker.simulated.exchange import SimExchange, SimOrder, SimTrade
from alphamoe.broker.simulated.traps import Traps
from alphamoe.broker.xtconst import FIX_PRICE, SECURITY_ACCOUNT, STOCK_BUY, STOCK_SELL
from alphamoe.types import Side


@dataclass
class StockAccount:
    account_id: str
    account_type: int = SECURITY_ACCOUNT


@dataclass
class XtOrder:
    account_id: str
    stock_code: str
    order_id: int | str | None
    order_sysid: str
    order_time: int
    order_type: int
    order_volume: int
    price_type: int
    price: float
    traded_volume: int
    traded_price: float
    order_status: int
    status_msg: str
    strategy_name: str
    order_remark: str


@dataclass
class XtTrade:
    account_id: str
    stock_code: str
    order_type: int
    traded_id: str
    traded_time: int
    traded_price: float
    traded_volume: int
    traded_amount: float
    order_id: int | str | None
    order_sysid: str
    strategy_name: str
    order_remark: str
    commission: float | None = None  # the counter's fees of the trade, where the client reports them


@dataclass
class XtPosition:
    account_id: str
    stock_code: str
    volume: int
    can_use_volume: int
    open_price: float
    market_value: float


@dataclass
class XtAsset:
    account_id: str
    cash: float
    frozen_cash: float
    market_value: float
    total_asset: float


@dataclass
class XtOrderError:
    account_id: str
    order_id: int
    error_id: int
    error_msg: str
    strategy_name: str
    order_remark: str


@dataclass
class XtCancelError:
    account_id: str
    order_id: int
    market: int
    order_sysid: str
    error_id: int
    error_msg: str


@dataclass
class XtOrderResponse:
    account_id: str
    order_id: int
    strategy_name: str
    order_remark: str
    seq: int


@dataclass
class Faults:
    """Probabilities of what happens to each push; `hold` keeps pushes until `pump()` (delay)."""

    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    hold: bool = False
    lie_on_cancel: float = 0.0
    seed: int = 0


class SimulatedXtQuantTrader:
    """`XtQuantTrader(path, session, callback=None)` against a SimExchange."""

    simulated = True  # the real XtQuantTrader has no such attribute (`broker/simulation.py`)

    def __init__(
        self,
        path: str,
        session: int,
        callback: Any = None,
        *,
        exchange: SimExchange,
        faults: Faults | None = None,
        traps: Traps | None = None,
        reports_commission: bool = True,
    ) -> None:
        self.path, self.session = path, session
        self.reports_commission = reports_commission  # older clients give no `commission` on a trade
        self.callback = callback
        self.exchange = exchange
        self.faults = faults or Faults()
        self.traps = traps or Traps()
        self.placed: set[int] = set()  # orders this session placed (ids_lost hides the others' ids)
        self.rng = random.Random(self.faults.seed * 7919 + session)
        self.connected = False
        self.dead = False  # connect() is one-shot: once dropped, this trader never reconnects
        self.queue: list[tuple[str, Any]] = []
        self._seq = 0
        self._lock = threading.RLock()
        exchange.listen(self._on_exchange)

    # -- session -----------------------------------------------------------------------------------
    def register_callback(self, callback: Any) -> None:
        self.callback = callback

    def start(self) -> None:
        return None

    def stop(self) -> None:
        self.connected = False
        self.dead = True

    def connect(self) -> int:
        self.traps.logins += 1
        if self.dead or not self.exchange.online or self.traps.closed:
            return -1
        self.connected = True
        return 0

    def subscribe(self, account: StockAccount) -> int:
        return 0 if self._up() else -1

    def drop(self) -> None:
        """The client loses its session (MiniQMT restarted, network cut): pushes on_disconnected."""
        self.connected = False
        self.dead = True
        self._push("on_disconnected", None, faults=False)

    # -- orders ------------------------------------------------------------------------------------
    def order_stock(
        self,
        account: StockAccount,
        stock_code: str,
        order_type: int,
        order_volume: int,
        price_type: int,
        price: float,
        strategy_name: str = "",
        order_remark: str = "",
    ) -> int | str:
        if not self._up() or order_type not in (STOCK_BUY, STOCK_SELL) or price_type != FIX_PRICE:
            return -1
        side = Side.BUY if order_type == STOCK_BUY else Side.SELL
        order = self.exchange.place(stock_code, side, order_volume, Decimal(str(price)), order_remark, strategy_name)
        self.placed.add(order.order_id)
        if order.message and order.status == 57:
            self._push(
                "on_order_error",
                XtOrderError(account.account_id, order.order_id, -61, order.message, strategy_name, order_remark),
            )
        return str(order.order_id) if self.traps.mixed_ids else order.order_id

    def order_stock_async(
        self,
        account: StockAccount,
        stock_code: str,
        order_type: int,
        order_volume: int,
        price_type: int,
        price: float,
        strategy_name: str = "",
        order_remark: str = "",
    ) -> int:
        order_id = int(
            self.order_stock(
                account, stock_code, order_type, order_volume, price_type, price, strategy_name, order_remark
            )
        )
        if order_id < 0:
            return -1
        self._seq += 1
        self._push(
            "on_order_stock_async_response",
            XtOrderResponse(account.account_id, order_id, strategy_name, order_remark, self._seq),
        )
        return self._seq

    def cancel_order_stock(self, account: StockAccount, order_id: int) -> int:
        if not self._up():
            return -3
        code = self.exchange.cancel(order_id)
        if code != 0:
            self._push(
                "on_cancel_error",
                XtCancelError(account.account_id, order_id, 0, str(order_id), code, "order finished or not found"),
            )
        if self.traps.inverted_cancel or self.rng.random() < self.faults.lie_on_cancel:
            return -1 if code == 0 else 0  # xtquant's cancel codes are not to be trusted
        return code

    # -- queries -----------------------------------------------------------------------------------
    def query_stock_orders(self, account: StockAccount, cancelable_only: bool = False) -> list[XtOrder] | None:
        if not self._up():
            return None
        orders = [self._xt_order(o, queried=True) for o in self.exchange.orders.values()]
        return [o for o in orders if not cancelable_only or o.order_status in (50, 55)]

    def query_stock_order(self, account: StockAccount, order_id: int) -> XtOrder | None:
        if not self._up():
            return None
        order = self.exchange.orders.get(int(order_id))
        return None if order is None else self._xt_order(order, queried=True)

    def query_stock_trades(self, account: StockAccount) -> list[XtTrade] | None:
        if not self._up():
            return None
        return [self._xt_trade(t, queried=True) for t in self.exchange.trades]

    def query_stock_positions(self, account: StockAccount) -> list[XtPosition] | None:
        if not self._up():
            return None
        return [
            XtPosition(
                account.account_id,
                p.symbol,
                p.quantity,
                p.sellable,
                float(p.cost / p.quantity),
                float(p.last_price * p.quantity),
            )
            for p in (self.traps.stale_positions or self.exchange.state()).positions
        ]

    def query_stock_asset(self, account: StockAccount) -> XtAsset | None:
        if not self._up():
            return None
        state = self.exchange.state()
        frozen = self.exchange.cash - self.exchange.free_cash()
        return XtAsset(
            account.account_id,
            float(self.exchange.free_cash()),  # xtquant's `cash` is the available cash (可用金额)
            float(frozen),
            float(state.market_value),
            float(state.equity),
        )

    # -- pushes ------------------------------------------------------------------------------------
    def pump(self, limit: int | None = None) -> int:
        """Deliver held pushes (in the faulted order); return how many were delivered."""
        delivered = 0
        while self.queue and (limit is None or delivered < limit):
            with self._lock:
                if self.faults.reorder and len(self.queue) > 1 and self.rng.random() < self.faults.reorder:
                    i = self.rng.randrange(len(self.queue))
                    self.queue[0], self.queue[i] = self.queue[i], self.queue[0]
                name, item = self.queue.pop(0)
            self._deliver(name, item)
            delivered += 1
        return delivered

    def _up(self) -> bool:
        return self.connected and not self.dead and self.exchange.online

    def _on_exchange(self, item: SimOrder | SimTrade) -> None:
        if not self.connected or self.dead:
            return  # a dead session hears nothing
        if isinstance(item, SimTrade):
            self._push("on_stock_trade", self._xt_trade(item))
        else:
            self._push("on_stock_order", self._xt_order(item))

    def _push(self, name: str, item: Any, *, faults: bool = True) -> None:
        if faults and self.traps.silent:
            return
        with self._lock:
            if faults and self.rng.random() < self.faults.drop:
                return
            copies = 2 if faults and self.rng.random() < self.faults.duplicate else 1
            self.queue.extend([(name, item)] * copies)
        if not self.faults.hold:
            self.pump()

    def _deliver(self, name: str, item: Any) -> None:
        if self.callback is None:
            return
        method = getattr(self.callback, name)
        if item is None:
            method()
        else:
            method(item)

    def _xt_id(self, order_id: int, queried: bool) -> int | str | None:
        if self.traps.ids_lost and queried and order_id not in self.placed:
            return None  # an order of an earlier session: no id after the reconnect
        return str(order_id) if self.traps.mixed_ids and queried else order_id

    def _xt_order(self, o: SimOrder, queried: bool = False) -> XtOrder:
        return XtOrder(
            account_id=self.exchange.account.account_id,
            stock_code=o.symbol,
            order_id=self._xt_id(o.order_id, queried),
            order_sysid=str(o.order_id),
            order_time=0,
            order_type=STOCK_BUY if o.side is Side.BUY else STOCK_SELL,
            order_volume=o.quantity,
            price_type=FIX_PRICE,
            price=float(o.price),
            traded_volume=o.filled,
            traded_price=float(o.filled_amount / o.filled) if o.filled else 0.0,
            order_status=o.status,
            status_msg=o.message,
            strategy_name=o.strategy,
            order_remark=o.remark,
        )

    def _xt_trade(self, t: SimTrade, queried: bool = False) -> XtTrade:
        return XtTrade(
            account_id=self.exchange.account.account_id,
            stock_code=t.symbol,
            order_type=STOCK_BUY if t.side is Side.BUY else STOCK_SELL,
            traded_id=t.trade_id,
            traded_time=0,
            traded_price=float(t.price),
            traded_volume=t.quantity,
            traded_amount=float(t.price * t.quantity),
            order_id=self._xt_id(t.order_id, queried),
            order_sysid=str(t.order_id),
            strategy_name="",
            order_remark=t.remark,
            commission=float(t.fees) if self.reports_commission else None,
        )
