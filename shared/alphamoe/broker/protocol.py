"""The `Broker` protocol every adapter implements (paper, miniqmt, ptrade, remote)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.portfolio import AccountState
from alphamoe.types import OrderStatus, Side, Symbol


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
    model_config = ConfigDict(frozen=True, extra="forbid")
    client_order_id: str
    symbol: Symbol
    side: Side
    quantity: int = Field(gt=0)
    price: Decimal
    fees: Decimal


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


OrderCallback = Callable[[BrokerOrder], None]


class Broker(Protocol):
    """What execute needs from a broker session. Vendor codes stay inside the adapter."""

    name: str

    def connect(self) -> None: ...

    def close(self) -> None: ...

    def submit(self, order: SubmitOrder) -> BrokerOrder: ...

    def cancel(self, client_order_id: str) -> BrokerOrder: ...

    def orders(self) -> Sequence[BrokerOrder]: ...

    def account(self) -> AccountState: ...

    def subscribe(self, callback: OrderCallback) -> None: ...
