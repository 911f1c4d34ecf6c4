"""The `Broker` protocol every adapter implements (paper, miniqmt, ptrade, remote)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.errors import AlphamoeError
from alphamoe.portfolio import AccountState
from alphamoe.types import OrderStatus, Side, Symbol


class BrokerUnavailableError(AlphamoeError):
    """Transient: the broker session is down or not reconciled; leave the event unacked for redelivery."""


class SubmitOrder(BaseModel):
    """A command to the broker: a day limit order under a deterministic client order id."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    client_order_id: str
    order_id: str
    account_id: str
    trading_day: date
    symbol: Symbol
    side: Side
    quantity: int = Field(gt=0)
    limit_price: Decimal = Field(gt=0)


class Fill(BaseModel):
    """One trade (成交) of an order; `trade_id` is the broker's, so a duplicated trade report counts once."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    client_order_id: str
    symbol: Symbol
    side: Side
    quantity: int = Field(gt=0)
    price: Decimal
    fees: Decimal
    trade_id: str = ""
    broker_fees: Decimal | None = Field(
        None, description="the fees the broker itself reports for this trade; None when it reports none"
    )


class BrokerOrder(BaseModel):
    """The broker's view of an order after an event; a new object for every change."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    client_order_id: str
    order_id: str
    symbol: Symbol
    side: Side
    quantity: int
    limit_price: Decimal
    status: OrderStatus
    filled_quantity: int = 0
    average_price: Decimal | None = None
    fees: Decimal = Decimal("0")
    fills: tuple[Fill, ...] = ()
    reason: str = ""
    broker_order_id: str = Field("", description="the broker's own order number (xtquant order_id, PTrade id)")


def order_view(order: SubmitOrder, status: OrderStatus, **extra: Any) -> BrokerOrder:
    """The broker's view of `order` before the broker has said more than `status` (and `extra`) about it."""
    return BrokerOrder(
        client_order_id=order.client_order_id,
        order_id=order.order_id,
        symbol=order.symbol,
        side=order.side,
        quantity=order.quantity,
        limit_price=order.limit_price,
        status=status,
        **extra,
    )


def revised(order: BrokerOrder, **changes: Any) -> BrokerOrder:
    """`order` with `changes`, validated again (a view is frozen: a change is a new view)."""
    return BrokerOrder.model_validate({**order.model_dump(), **changes})


def known_order(
    views: Mapping[str, BrokerOrder], client_order_id: str, query: Callable[[], object], broker: str
) -> BrokerOrder:
    """An adapter's view of an order by its remark (client order id); one it has not seen in this session
    (placed before a reconnect) is looked for after `query`, the adapter's full order query, refills `views`.

    KeyError names `broker` when the broker has no order with that remark.
    """
    view = views.get(client_order_id)
    if view is None:
        query()
        view = views.get(client_order_id)
    if view is None:
        raise KeyError(f"{broker} has no order with remark {client_order_id!r}")
    return view


OrderCallback = Callable[[BrokerOrder], None]


class Broker(Protocol):
    """What execute needs from a broker session. Vendor codes stay inside the adapter.

    `connect` opens a new session (a fresh session id each time: xtquant's connect is one-shot) and raises
    BrokerUnavailableError when it cannot; every other call raises BrokerUnavailableError while disconnected.
    `orders` is the broker's truth for the day, fills included: reconciliation compares the journal to it.
    """

    name: str

    @property
    def connected(self) -> bool: ...

    @property
    def session_id(self) -> str: ...

    def connect(self) -> None: ...

    def close(self) -> None: ...

    def submit(self, order: SubmitOrder) -> BrokerOrder: ...

    def cancel(self, client_order_id: str) -> BrokerOrder: ...

    def orders(self) -> Sequence[BrokerOrder]: ...

    def account(self) -> AccountState: ...

    def subscribe(self, callback: OrderCallback) -> None: ...

    def end_of_day(self) -> AccountState:
        """Expire the day's open orders (fills kept) and return the account at the close."""
        ...
