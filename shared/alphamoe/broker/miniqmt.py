"""The MiniQMT adapter: xtquant's `XtQuantTrader` behind the `Broker` protocol.

What xtquant does, and what this adapter does about it:
- `connect()` is one-shot and every session needs its own session id: each `connect` here builds a new
  trader with a fresh id; a dropped one is abandoned.
- pushes (`on_stock_order`, `on_stock_trade`) can come before `order_stock` returns, twice, out of order or
  not at all: orders are matched by `order_remark` (= client order id), trades are kept by `traded_id`,
  and a push that says more was traded than the trades seen fetches the trades (`query_stock_trades`).
- `cancel_order_stock`'s return code is unreliable: the order is queried after every cancel, and the
  query's state is what is reported.
- order ids come back as int or str (xtquant_big_convert #113) and as None for an earlier session's orders
  after a reconnect (ruyisee/vnpy_qmt #5): ids are normalised (`xt_id`), and an order without one keeps
  the id it was known by, found again by its remark.
- the position list freezes when the quote link drops (#309): positions are the connect-time baseline
  moved by the trade query (`broker/positions.py`); on a day that is not a session no login is tried.
xtquant is imported only when no trader factory is given (it is Windows-only and its package touches the
network on import); its constants are vendored in `xtconst` and checked against the real module.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import threading
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from alphamoe.broker import xtconst as xc
from alphamoe.broker.orders import TERMINAL
from alphamoe.broker.positions import PositionTracker
from alphamoe.broker.protocol import (
    BrokerOrder,
    BrokerUnavailableError,
    Fill,
    OrderCallback,
    SubmitOrder,
    known_order,
    order_view,
    revised,
)
from alphamoe.broker.trading_day import IsSession, require_trading_day
from alphamoe.errors import ConfigurationError
from alphamoe.market.fees import FEN, CommissionSchedule, trade_fees
from alphamoe.portfolio import AccountState, Position
from alphamoe.types import OrderStatus, Side

log = logging.getLogger("alphamoe.broker.miniqmt")
TraderFactory = Callable[[str, int], Any]
"""(userdata path, session id) → an XtQuantTrader (or the simulated one)."""
STRATEGY = "alphamoe"
_ids = itertools.count(int(time.time()) % 100_000 * 1000)


def xtquant_factories() -> tuple[TraderFactory, Callable[[str], Any]]:
    """Import xtquant now (Windows, MiniQMT installed) and return (trader factory, StockAccount)."""
    try:
        xttrader = importlib.import_module("xtquant.xttrader")
        xttype = importlib.import_module("xtquant.xttype")
        xtconstant = importlib.import_module("xtquant.xtconstant")
    except ImportError as exc:
        raise ConfigurationError(
            "ALPHAMOE_BROKER__ADAPTER=miniqmt needs xtquant (pip install 'alphamoe[miniqmt]' on the Windows host "
            f"running MiniQMT), or use the remote adapter with a gateway there: {exc}"
        ) from exc
    drift = xc.check_against(xtconstant)
    if drift:
        raise ConfigurationError("installed xtquant constants differ from alphamoe's table: " + "; ".join(drift))
    return xttrader.XtQuantTrader, xttype.StockAccount


def xt_id(value: object) -> int | None:
    """xtquant's order id as an int, whether it came as int or str; None when the client gave none."""
    if value is None or value == "":
        return None
    return int(str(value).strip())


def _reported(value: float | None) -> Decimal | None:
    """Return a fee the client reports, in fen; None when it gives none (older xtquant versions)."""
    return None if value is None else Decimal(str(value)).quantize(FEN)


def _price(value: float) -> Decimal:
    return Decimal(str(value)).quantize(FEN)


class _Callbacks:
    """The XtQuantTraderCallback of one session; pushes of an abandoned session are ignored."""

    def __init__(self, broker: MiniQmtBroker, generation: int) -> None:
        self.broker, self.generation = broker, generation

    def _live(self) -> bool:
        return self.generation == self.broker._generation

    def on_disconnected(self) -> None:
        if self._live():
            self.broker._connected = False
            log.warning("MiniQMT session %s disconnected", self.broker.session_id)

    def on_stock_order(self, order: Any) -> None:
        if self._live():
            self.broker._on_order(order)

    def on_stock_trade(self, trade: Any) -> None:
        if self._live():
            self.broker._on_trade(trade)

    def on_order_error(self, error: Any) -> None:
        if self._live():
            self.broker._on_order_error(error)

    def on_cancel_error(self, error: Any) -> None:
        order_id = xt_id(error.order_id)
        if self._live() and order_id is not None:
            self.broker._refresh_one(order_id)

    def on_order_stock_async_response(self, response: Any) -> None:
        order_id = xt_id(response.order_id)
        if self._live() and response.order_remark and order_id is not None:
            self.broker._remarks[order_id] = response.order_remark

    def on_cancel_order_stock_async_response(self, response: Any) -> None:
        return None

    def on_stock_asset(self, asset: Any) -> None:
        return None

    def on_stock_position(self, position: Any) -> None:
        return None

    def on_account_status(self, status: Any) -> None:
        return None


class MiniQmtBroker:
    """One stock account on a MiniQMT client, through xtquant."""

    name = "miniqmt"

    def __init__(
        self,
        path: str,
        account_id: str,
        day: date,
        *,
        trader_factory: TraderFactory | None = None,
        account_factory: Callable[[str], Any] | None = None,
        commission: CommissionSchedule | None = None,
        sessions: IsSession | None = None,
    ) -> None:
        self.path, self.account_id, self.day = path, account_id, day
        self._sessions = sessions
        self._positions = PositionTracker()
        self.commission = commission or CommissionSchedule()
        self._trader_factory, self._account_factory = trader_factory, account_factory
        self._trader: Any = None
        self._account: Any = None
        self._connected = False
        self._session = 0
        self._generation = 0
        self._views: dict[str, BrokerOrder] = {}  # client order id → latest view
        self._remarks: dict[int, str] = {}  # xtquant order_id → client order id
        self._fills: dict[str, dict[str, Fill]] = {}  # client order id → traded_id → fill
        self._callbacks: list[OrderCallback] = []
        self._lock = threading.RLock()

    # -- session -----------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def session_id(self) -> str:
        return f"xt-{self._session}"

    @property
    def simulated(self) -> bool:
        """True when the session's trader is the simulated one (`broker/simulation.py`); a real one says nothing."""
        return getattr(self._trader, "simulated", False) is True

    def connect(self) -> None:
        """Open a new xtquant session (new trader, new session id) and load the day's orders and trades."""
        require_trading_day(self.name, self.day, self._sessions)
        with self._lock:
            if self._trader_factory is None or self._account_factory is None:
                self._trader_factory, self._account_factory = xtquant_factories()
            if self._trader is not None:
                self._trader.stop()
            self._session = next(_ids)
            self._generation += 1
            trader = self._trader_factory(self.path, self._session)
            trader.register_callback(_Callbacks(self, self._generation))
            trader.start()
            code = trader.connect()
            if code != 0:
                raise BrokerUnavailableError(f"xtquant connect() returned {code} for session {self._session}")
            self._account = self._account_factory(self.account_id)
            code = trader.subscribe(self._account)
            if code != 0:
                raise BrokerUnavailableError(f"xtquant subscribe({self.account_id}) returned {code}")
            self._trader = trader
            self._connected = True
            self.orders()
            positions = trader.query_stock_positions(self._account)
            self._positions.rebase(self._positions_of(positions or []), self._all_fills())

    def close(self) -> None:
        with self._lock:
            if self._trader is not None:
                self._trader.stop()
            self._connected = False

    def subscribe(self, callback: OrderCallback) -> None:
        self._callbacks.append(callback)

    # -- commands ----------------------------------------------------------------------------------
    def submit(self, order: SubmitOrder) -> BrokerOrder:
        """Send a FIX_PRICE order with order_remark = client order id; a known remark is never sent again."""
        with self._lock:
            trader = self._live_trader()
            known = self._views.get(order.client_order_id)
            if known is not None:
                return known
            order_type = xc.STOCK_BUY if order.side is Side.BUY else xc.STOCK_SELL
            order_id = xt_id(
                trader.order_stock(
                    self._account,
                    order.symbol,
                    order_type,
                    order.quantity,
                    xc.FIX_PRICE,
                    float(order.limit_price),
                    STRATEGY,
                    order.client_order_id,
                )
            )
            if order_id is None or order_id < 0:
                if trader.query_stock_asset(self._account) is None:  # -1 from a dead session, not a refusal
                    self._connected = False
                    raise BrokerUnavailableError(f"order_stock failed and session {self.session_id} does not answer")
                return self._publish(order_view(order, OrderStatus.REJECTED, reason=f"order_stock returned {order_id}"))
            self._remarks[order_id] = order.client_order_id
            view = self._views.get(order.client_order_id)  # a push may already have come
            if view is None:
                view = self._publish(order_view(order, OrderStatus.SUBMITTED, broker_order_id=str(order_id)))
            return view

    def cancel(self, client_order_id: str) -> BrokerOrder:
        """Cancel, then query: the query's state is reported, whatever cancel_order_stock returned."""
        with self._lock:
            trader = self._live_trader()
            view = known_order(self._views, client_order_id, self.orders, "MiniQMT")
            if view.status in TERMINAL:
                return view
            code = trader.cancel_order_stock(self._account, int(view.broker_order_id))
            truth = self._refresh_one(int(view.broker_order_id))
            if truth is not None and truth.client_order_id != client_order_id:
                truth = None  # the single-order query lost the remark: the full query decides
            if truth is None:
                truth = next((o for o in self.orders() if o.client_order_id == client_order_id), None)
            if truth is None:
                raise BrokerUnavailableError(f"cannot query order {view.broker_order_id} after cancel (code {code})")
            if code == 0 and truth.status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED):
                truth = self._publish(revised(truth, status=OrderStatus.PENDING_CANCEL))
            return truth

    def end_of_day(self) -> AccountState:
        for view in list(self._views.values()):
            if view.status not in TERMINAL:
                self.cancel(view.client_order_id)
        return self.account()

    # -- queries -----------------------------------------------------------------------------------
    def orders(self) -> list[BrokerOrder]:
        """The day's orders from `query_stock_orders`, with every trade from `query_stock_trades`."""
        with self._lock:
            trader = self._live_trader()
            orders = trader.query_stock_orders(self._account)
            trades = trader.query_stock_trades(self._account)
            if orders is None or trades is None:
                self._connected = False
                raise BrokerUnavailableError(f"MiniQMT session {self.session_id} does not answer queries")
            for trade in trades:
                self._remember_trade(trade)
            views = [self._from_xt(o) for o in orders]
            for view in views:
                self._views[view.client_order_id] = view
            return views

    def account(self) -> AccountState:
        with self._lock:
            trader = self._live_trader()
            asset = trader.query_stock_asset(self._account)
            positions = trader.query_stock_positions(self._account)
            if asset is None or positions is None:
                self._connected = False
                raise BrokerUnavailableError(f"MiniQMT session {self.session_id} does not answer queries")
            trades = trader.query_stock_trades(self._account)
            for trade in trades or ():
                self._remember_trade(trade)
            return AccountState(
                account_id=self.account_id,
                trading_day=self.day,
                cash=_price(asset.cash + asset.frozen_cash),  # available + frozen for open buys: the balance
                positions=self._positions.current(self._positions_of(positions), self._all_fills()),
            )

    def _positions_of(self, positions: list[Any]) -> list[Position]:
        return [
            Position(
                symbol=p.stock_code,
                quantity=p.volume,
                sellable=p.can_use_volume,
                cost=_price(p.open_price * p.volume),
                last_price=_price(p.market_value / p.volume),
            )
            for p in sorted(positions, key=lambda p: p.stock_code)
            if p.volume > 0
        ]

    def _all_fills(self) -> list[Fill]:
        return [f for fills in self._fills.values() for f in fills.values()]

    # -- pushes ------------------------------------------------------------------------------------
    def _on_order(self, xt_order: Any) -> None:
        with self._lock:
            view = self._from_xt(xt_order)
            if xt_order.traded_volume > sum(f.quantity for f in view.fills):
                # the order says more was traded than the trade pushes told: fetch the trades
                trades = self._trader.query_stock_trades(self._account) if self._trader else None
                for trade in trades or ():
                    self._remember_trade(trade)
                view = self._from_xt(xt_order)
            self._publish(view)

    def _on_trade(self, trade: Any) -> None:
        with self._lock:
            cid = self._remember_trade(trade)
            view = self._views.get(cid)
            if view is None:
                return  # its order push or the next query brings the order itself
            fills = self._fill_list(cid)
            filled = sum(f.quantity for f in fills)
            status = view.status
            if filled >= view.quantity:
                status = OrderStatus.FILLED
            elif status in (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED):
                status = OrderStatus.PARTIALLY_FILLED
            self._publish(revised(view, status=status, filled_quantity=filled, fills=fills))

    def _on_order_error(self, error: Any) -> None:
        with self._lock:
            order_id = xt_id(error.order_id)
            cid = error.order_remark or (self._remarks.get(order_id, "") if order_id is not None else "")
            view = self._views.get(cid)
            if view is None:
                if order_id is not None:
                    self._refresh_one(order_id)
                return
            self._publish(revised(view, status=OrderStatus.REJECTED, reason=f"{error.error_id}: {error.error_msg}"))

    def _refresh_one(self, order_id: int) -> BrokerOrder | None:
        with self._lock:
            if self._trader is None:
                return None
            xt_order = self._trader.query_stock_order(self._account, order_id)
            if xt_order is None:
                return None
            return self._publish(self._from_xt(xt_order))

    # -- translation -------------------------------------------------------------------------------
    def _live_trader(self) -> Any:
        if not self._connected or self._trader is None:
            raise BrokerUnavailableError(f"MiniQMT session {self.session_id} is not connected")
        return self._trader

    def _remember_trade(self, trade: Any) -> str:
        order_id = xt_id(trade.order_id)
        cid: str = trade.order_remark or self._remarks.get(order_id or -1, f"xt:{trade.order_id}")
        side = Side.BUY if trade.order_type == xc.STOCK_BUY else Side.SELL
        price = _price(trade.traded_price)
        fill = Fill(
            client_order_id=cid,
            symbol=trade.stock_code,
            side=side,
            quantity=trade.traded_volume,
            price=price,
            fees=trade_fees(trade.stock_code, side, trade.traded_volume, price, self.day, self.commission),
            trade_id=str(trade.traded_id),
            broker_fees=_reported(getattr(trade, "commission", None)),
        )
        self._fills.setdefault(cid, {})[fill.trade_id] = fill
        return cid

    def _fill_list(self, cid: str) -> tuple[Fill, ...]:
        return tuple(self._fills.get(cid, {}).values())

    def _from_xt(self, o: Any) -> BrokerOrder:
        order_id = xt_id(o.order_id)
        cid: str = o.order_remark or self._remarks.get(order_id or -1, f"xt:{o.order_id}")
        known = self._views.get(cid)
        if order_id is None and known is not None and known.broker_order_id:
            order_id = int(known.broker_order_id)  # lost after a reconnect: keep the id it was known by
        if order_id is not None:
            self._remarks[order_id] = cid
        fills = self._fill_list(cid)
        filled = sum(f.quantity for f in fills)
        notional = sum((f.price * f.quantity for f in fills), Decimal("0"))
        return BrokerOrder(
            client_order_id=cid,
            order_id=cid,
            symbol=o.stock_code,
            side=Side.BUY if o.order_type == xc.STOCK_BUY else Side.SELL,
            quantity=o.order_volume,
            limit_price=_price(o.price),
            status=xc.to_status(o.order_status),
            filled_quantity=filled,
            average_price=(notional / filled).quantize(Decimal("0.0001")) if filled else None,
            fees=sum((f.fees for f in fills), Decimal("0")),
            fills=fills,
            reason=o.status_msg or "",
            broker_order_id="" if order_id is None else str(order_id),
        )

    def _publish(self, view: BrokerOrder) -> BrokerOrder:
        self._views[view.client_order_id] = view
        for callback in self._callbacks:
            callback(view)
        return view
