"""The `qmt` adapter: the full QMT client, through `bridge_script.py` running inside it, over Redis Streams.

Brokers are withdrawing personal MiniQMT (akfamily/akquant #386); the full client still runs Python
strategies, so a bridge script inside it takes orders from a Redis stream and writes QMT's reports to
another (the design of litaolemo/xtquant_big_convert, written anew here). This side speaks the Broker
protocol and translates QMT's fields; what it does about the client's known ways:
- the client order id rides as QMT's 投资备注 (userOrderId → `m_strRemark`), so orders and deals are
  matched by it, and the bridge never sends a remark twice;
- every command is answered with the order as QMT's order query shows it; callbacks may be missing
  (xtquant_big_convert #345): `orders()` is a full query, which the desk's periodic reconciliation runs;
- order ids may be int or str (#113) and empty after a restart (vnpy_qmt #5): ids are normalised to
  str, and an order keeps the id it was known by, found again by its remark;
- `cancel`'s return value is not trusted (#113): the order's state after it is what is reported;
- a bridge run answers only requests addressed to its own id: after QMT's daily restart the adapter finds
  a new id, drops its session and the desk reconnects and reconciles (nothing is sent twice);
- positions come from the trade query when the position list is stale (#309, `broker/positions.py`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import deque
from datetime import date
from decimal import Decimal
from typing import Any

import redis

from alphamoe.broker import xtconst as xc
from alphamoe.broker.orders import TERMINAL
from alphamoe.broker.poller import ensure_poller
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
from alphamoe.market.fees import FEN, CommissionSchedule, trade_fees
from alphamoe.portfolio import AccountState, Position
from alphamoe.types import OrderStatus, Side

log = logging.getLogger("alphamoe.broker.qmt")
OFFSET_BUY = 48  # m_nOffsetFlag: 48 buy, 49 sell


def keys(account_id: str) -> tuple[str, str, str]:
    """(requests stream, events stream, bridge id key) of one account; the bridge script uses the same."""
    base = f"alphamoe:qmt:{account_id}:"
    return base + "requests", base + "events", base + "bridge"


def order_id(value: object) -> str:
    """QMT's order id as text: an int, a str or a float of one (#113) all give the same; None gives ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _price(value: object) -> Decimal:
    return Decimal(str(value)).quantize(FEN)


class QmtBroker:
    """One stock account on a full QMT client, via its bridge script."""

    name = "qmt"

    def __init__(
        self,
        client: redis.Redis,
        account_id: str,
        day: date,
        *,
        commission: CommissionSchedule | None = None,
        reply_timeout_s: float = 5.0,
        background: bool = True,
        sessions: IsSession | None = None,
    ) -> None:
        self.client, self.account_id, self.day = client, account_id, day
        self.commission = commission or CommissionSchedule()
        self.reply_timeout_s = reply_timeout_s
        self._requests, self._events, self._bridge_key = keys(account_id)
        self._background, self._sessions = background, sessions
        self._connected = False
        self.simulated = False  # what the bridge says at connect: True only in the simulated QMT runtime
        self._bridge = ""
        self._session = ""
        self._cursor = "0-0"
        self._views: dict[str, BrokerOrder] = {}
        self._cids: dict[str, str] = {}  # QMT order id → client order id
        self._fills: dict[str, dict[str, Fill]] = {}  # client order id → trade id → fill
        self._replies: dict[str, dict[str, Any]] = {}
        self._inbox: deque[tuple[str, dict[str, Any]]] = deque()
        self._callbacks: list[OrderCallback] = []
        self._positions = PositionTracker()
        self._state = threading.RLock()
        self._read_lock = threading.Lock()
        self._deliver_lock = threading.Lock()
        self._arrived = threading.Condition()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    # -- session -----------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def session_id(self) -> str:
        return self._session

    def connect(self) -> None:
        """Bind to the bridge run now alive, read the day's orders and trades, and take the position baseline."""
        require_trading_day(self.name, self.day, self._sessions)
        try:
            bridge = self.client.get(self._bridge_key)
            last = self.client.xrevrange(self._events, count=1)
        except redis.RedisError as exc:
            raise BrokerUnavailableError(f"qmt: Redis does not answer: {exc}") from exc
        if not bridge:
            raise BrokerUnavailableError(
                f"qmt: no bridge alive for account {self.account_id} ({self._bridge_key} is empty): "
                "is QMT running bridge_script.py in its 模型交易 panel?"
            )
        with self._state:
            self._bridge, self._cursor = str(bridge), str(last[0][0]) if last else "0-0"
            self._session = f"qmt-{self._bridge}-{uuid.uuid4().hex[:6]}"
            self._replies.clear()
            self._inbox.clear()
            self._connected = True
        snapshot = self._request("query")
        self.simulated = snapshot.get("simulated") is True  # `broker/simulation.py`
        fills = self._take_deals(snapshot["deals"])
        self._take_orders(snapshot["orders"])
        self._positions.rebase(self._positions_of(snapshot), fills)
        if self._background:
            self._poller = ensure_poller(self._poller, self._stop, self._poll, f"qmt-{self.account_id}")

    def close(self) -> None:
        self._connected = False
        self._stop.set()

    def subscribe(self, callback: OrderCallback) -> None:
        self._callbacks.append(callback)

    # -- commands ----------------------------------------------------------------------------------
    def submit(self, order: SubmitOrder) -> BrokerOrder:
        """Send a limit order with userOrderId = client order id; a known client order id is never sent again."""
        known = self._views.get(order.client_order_id)
        if known is not None:
            return known
        answer = self._request(
            "submit",
            cid=order.client_order_id,
            symbol=order.symbol,
            side=order.side.value,
            quantity=str(order.quantity),
            price=str(order.limit_price),
        )
        self._take_deals(answer.get("deals") or [])
        row = answer.get("order")
        if row:
            return self._publish(self._from_row(row))
        view = self._views.get(order.client_order_id)  # a callback may have come first
        if view is not None:
            return view
        return self._publish(order_view(order, OrderStatus.SUBMITTED))

    def cancel(self, client_order_id: str) -> BrokerOrder:
        """Ask QMT to cancel; report the order as QMT shows it afterwards, whatever `cancel` returned."""
        view = known_order(self._views, client_order_id, self.orders, "QMT")
        if view.status in TERMINAL:
            return view
        answer = self._request("cancel", cid=client_order_id, sysid=view.broker_order_id)
        self._take_deals(answer.get("deals") or [])
        row = answer.get("order")
        if not row:
            raise BrokerUnavailableError(f"qmt: order {client_order_id} not found after cancel: {answer}")
        truth = self._from_row(row)
        if truth.status in (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED):
            truth = revised(truth, status=OrderStatus.PENDING_CANCEL)
        return self._publish(truth)

    def end_of_day(self) -> AccountState:
        for view in list(self._views.values()):
            if view.status not in TERMINAL:
                self.cancel(view.client_order_id)
        return self.account()

    # -- queries -----------------------------------------------------------------------------------
    def orders(self) -> list[BrokerOrder]:
        """The day's orders and deals from QMT's own query (missing callbacks are found here)."""
        snapshot = self._request("query")
        self._take_deals(snapshot["deals"])
        return self._take_orders(snapshot["orders"])

    def account(self) -> AccountState:
        snapshot = self._request("query")
        fills = self._take_deals(snapshot["deals"])
        account = snapshot["account"]
        if not account:
            self._connected = False
            raise BrokerUnavailableError(f"qmt: account {self.account_id} is not logged in to QMT")
        cash = _price(account["m_dAvailable"]) + _price(account["m_dFrozenCash"] or 0)
        return AccountState(
            account_id=self.account_id,
            trading_day=self.day,
            cash=cash,
            positions=self._positions.current(self._positions_of(snapshot), fills),
        )

    # -- transport ---------------------------------------------------------------------------------
    def _request(self, kind: str, **fields: str) -> dict[str, Any]:
        if not self._connected:
            raise BrokerUnavailableError(f"qmt session {self._session} is not connected")
        req = uuid.uuid4().hex
        request: dict[Any, Any] = {"kind": kind, "req": req, "bridge": self._bridge, **fields}
        try:
            self.client.xadd(self._requests, request)
        except redis.RedisError as exc:
            self._connected = False
            raise BrokerUnavailableError(f"qmt: cannot write {self._requests}: {exc}") from exc
        deadline = time.monotonic() + self.reply_timeout_s
        while req not in self._replies:
            if not self._connected:
                raise BrokerUnavailableError(f"qmt: bridge {self._bridge} went away during {kind}")
            if time.monotonic() > deadline:
                self._connected = False
                raise BrokerUnavailableError(
                    f"qmt: bridge {self._bridge} did not answer {kind} within {self.reply_timeout_s:g} s"
                )
            if self._read_lock.acquire(blocking=False):
                try:
                    self._read(block_ms=20)
                finally:
                    self._read_lock.release()
            else:
                with self._arrived:
                    self._arrived.wait(0.02)
        answer = self._replies.pop(req)
        self._deliver(block=not self._background)
        if "error" in answer and kind == "query":
            raise BrokerUnavailableError(f"qmt: bridge could not answer {kind}: {answer['error']}")
        return answer

    def _read(self, block_ms: int) -> None:
        try:
            found: Any = self.client.xread({self._events: self._cursor}, count=500, block=block_ms)
        except redis.RedisError as exc:
            self._connected = False
            log.warning("qmt: reading %s failed: %s", self._events, exc)
            return
        for _stream, entries in found or []:
            for entry_id, fields in entries:
                self._cursor = entry_id
                bridge, kind = fields.get("bridge", ""), fields.get("kind", "")
                if bridge != self._bridge:
                    if kind == "hello":
                        log.warning("qmt bridge restarted (%s → %s): session lost", self._bridge, bridge)
                        self._connected = False
                    continue
                data = json.loads(fields.get("data", "null"))
                if kind == "reply":
                    self._replies[fields.get("req", "")] = data
                elif kind in ("order", "deal", "error"):
                    self._inbox.append((kind, data))
        with self._arrived:
            self._arrived.notify_all()

    def _deliver(self, block: bool) -> None:
        # one deliverer at a time keeps reports in order; a command does not wait for the poller (which may be
        # delivering into a caller that holds its own lock): the poller delivers those reports itself
        if not self._deliver_lock.acquire(blocking=block):
            return
        try:
            while self._inbox:
                kind, data = self._inbox.popleft()
                view = self._on_event(kind, data)
                if view is not None:
                    self._publish(view)
        finally:
            self._deliver_lock.release()

    def _poll(self) -> None:
        while not self._stop.is_set():
            if not self._connected:
                self._stop.wait(0.1)
                continue
            if self._read_lock.acquire(blocking=False):
                try:
                    self._read(block_ms=200)
                finally:
                    self._read_lock.release()
            else:
                self._stop.wait(0.02)
            self._deliver(block=True)

    # -- translation -------------------------------------------------------------------------------
    def _on_event(self, kind: str, data: dict[str, Any]) -> BrokerOrder | None:
        with self._state:
            if kind == "order":
                return self._from_row(data)
            if kind == "deal":
                cid = self._take_deal(data).client_order_id
                view = self._views.get(cid)
                if view is None:
                    return None  # its order callback or the next query brings the order
                fills = tuple(self._fills.get(cid, {}).values())
                filled = sum(f.quantity for f in fills)
                status = view.status
                if filled >= view.quantity:
                    status = OrderStatus.FILLED
                elif status in (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED):
                    status = OrderStatus.PARTIALLY_FILLED
                return revised(view, status=status, **_totals(fills))
            view = self._views.get(str(data.get("m_strRemark") or ""))
            if view is None or view.status in TERMINAL:
                return None
            return revised(view, status=OrderStatus.REJECTED, reason=str(data.get("msg", "")))

    def _take_orders(self, rows: list[dict[str, Any]]) -> list[BrokerOrder]:
        with self._state:
            views = [self._from_row(row) for row in rows]
            for view in views:
                self._views[view.client_order_id] = view
            return views

    def _take_deals(self, rows: list[dict[str, Any]]) -> list[Fill]:
        with self._state:
            return [self._take_deal(row) for row in rows]

    def _take_deal(self, row: dict[str, Any]) -> Fill:
        sysid = order_id(row.get("m_strOrderSysID"))
        cid = str(row.get("m_strRemark") or "") or self._cids.get(sysid, f"qmt:{sysid}")
        symbol = f"{row['m_strInstrumentID']}.{row['m_strExchangeID']}"
        side = Side.BUY if int(row["m_nOffsetFlag"]) == OFFSET_BUY else Side.SELL
        price, quantity = _price(row["m_dPrice"]), int(row["m_nVolume"])
        fill = Fill(
            client_order_id=cid,
            symbol=symbol,
            side=side,
            quantity=quantity,
            price=price,
            fees=trade_fees(symbol, side, quantity, price, self.day, self.commission),
            trade_id=order_id(row["m_strTradeID"]),
            broker_fees=None if row.get("m_dComssion") is None else _price(row["m_dComssion"]),
        )
        self._fills.setdefault(cid, {})[fill.trade_id] = fill
        return fill

    def _from_row(self, row: dict[str, Any]) -> BrokerOrder:
        with self._state:
            sysid = order_id(row.get("m_strOrderSysID"))
            cid = str(row.get("m_strRemark") or "") or self._cids.get(sysid, f"qmt:{sysid}")
            known = self._views.get(cid)
            if not sysid and known is not None:
                sysid = known.broker_order_id  # the id is gone after a restart: keep the one it was known by
            if sysid:
                self._cids[sysid] = cid
            status = xc.to_status(int(row["m_nOrderStatus"]))
            reason = str(row.get("m_strCancelInfo") or "")
            if status is OrderStatus.REJECTED and not reason:
                reason = str(row.get("m_strErrorMsg") or "junked (废单)")
            fills = tuple(self._fills.get(cid, {}).values())
            return BrokerOrder(
                client_order_id=cid,
                order_id=known.order_id if known is not None else cid,
                symbol=f"{row['m_strInstrumentID']}.{row['m_strExchangeID']}",
                side=Side.BUY if int(row["m_nOffsetFlag"]) == OFFSET_BUY else Side.SELL,
                quantity=int(row["m_nVolumeTotalOriginal"]),
                limit_price=_price(row["m_dLimitPrice"]),
                status=status,
                reason=reason,
                broker_order_id=sysid,
                **_totals(fills),
            )

    def _positions_of(self, snapshot: dict[str, Any]) -> list[Position]:
        positions = []
        for row in snapshot["positions"]:
            quantity = int(row["m_nVolume"])
            if quantity <= 0:
                continue
            positions.append(
                Position(
                    symbol=f"{row['m_strInstrumentID']}.{row['m_strExchangeID']}",
                    quantity=quantity,
                    sellable=int(row["m_nCanUseVolume"]),
                    cost=_price(float(row["m_dOpenPrice"]) * quantity),
                    last_price=_price(float(row["m_dMarketValue"]) / quantity),
                )
            )
        return positions

    def _publish(self, view: BrokerOrder) -> BrokerOrder:
        with self._state:
            self._views[view.client_order_id] = view
        for callback in self._callbacks:
            callback(view)
        return view


def _totals(fills: tuple[Fill, ...]) -> dict[str, Any]:
    filled = sum(f.quantity for f in fills)
    notional = sum((f.price * f.quantity for f in fills), Decimal("0"))
    return {
        "fills": fills,
        "filled_quantity": filled,
        "average_price": (notional / filled).quantize(Decimal("0.0001")) if filled else None,
        "fees": sum((f.fees for f in fills), Decimal("0")),
    }
