"""The execute stage: approved orders to the broker, broker reports to order.* events."""

from __future__ import annotations

from datetime import date
from typing import Any

from alphamoe.broker.ids import client_order_id
from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import BrokerOrder, SubmitOrder
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import (
    MarketClose,
    OrderApproved,
    OrderCancelled,
    OrderFailed,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    Payload,
)
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages.common import Outputs, derive, expect
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.portfolio import AccountState
from alphamoe.risk.approval import verify
from alphamoe.types import OrderStatus


class ExecuteStage:
    """order.approved → order.submitted / filled / failed through the broker; market.close → cancel, snapshot.

    Only orders whose approval HMAC verifies reach the broker (DESIGN.md §5).
    """

    name = "execute"

    def __init__(self, data: MarketData, accounts: AccountBook, secret: bytes, commission: CommissionSchedule) -> None:
        self.data, self.accounts, self.secret, self.commission = data, accounts, secret, commission
        self._brokers: dict[date, PaperBroker] = {}
        self._updates: list[BrokerOrder] = []
        self._fills_seen: dict[str, int] = {}
        self.closed: dict[date, AccountState] = {}

    def broker(self, day: date) -> PaperBroker:
        if day not in self._brokers:
            broker = PaperBroker(self.data.store, day, self.accounts.opening_state(day), self.commission)
            broker.subscribe(self._updates.append)
            broker.connect()
            self._brokers[day] = broker
        return self._brokers[day]

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        if isinstance(envelope.payload, MarketClose):
            return self._close(envelope, envelope.payload)
        if isinstance(envelope.payload, OrderRejected):
            return []
        approved = expect(envelope, OrderApproved)
        verify(approved, self.secret)
        order = approved.order
        broker = self.broker(order.trading_day)
        broker.submit(
            SubmitOrder(
                client_order_id=client_order_id(order.order_id),
                order_id=order.order_id,
                account_id=order.account_id,
                trading_day=order.trading_day,
                symbol=order.symbol,
                side=order.side,
                quantity=order.quantity,
                limit_price=order.limit_price,
            )
        )
        return self._drain(envelope, order.account_id, order.trading_day, broker.name)

    def _close(self, envelope: Envelope[Any], close: MarketClose) -> Outputs:
        broker = self.broker(close.trading_day)
        state = broker.end_of_day()
        outputs = self._drain(envelope, close.account_id, close.trading_day, broker.name)
        self.accounts.save_close(state)
        self.closed[close.trading_day] = state
        return outputs

    def _drain(self, cause: Envelope[Any], account_id: str, day: date, broker: str) -> Outputs:
        outputs: Outputs = []
        updates, self._updates[:] = list(self._updates), []
        for update in updates:
            common: dict[str, Any] = {
                "trading_day": day,
                "order_id": update.order_id,
                "client_order_id": update.client_order_id,
                "account_id": account_id,
                "symbol": update.symbol,
                "side": update.side,
                "status": update.status,
            }
            payloads: list[Payload] = []
            if update.status in (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED):
                payloads.append(
                    OrderSubmitted(**common, quantity=update.quantity, limit_price=update.limit_price, broker=broker)
                )
            seen = self._fills_seen.get(update.client_order_id, 0)
            for fill in update.fills[seen:]:
                payloads.append(
                    OrderFilled(
                        **common,
                        fill_quantity=fill.quantity,
                        fill_price=fill.price,
                        fees=fill.fees,
                        cumulative_quantity=update.filled_quantity,
                    )
                )
            self._fills_seen[update.client_order_id] = len(update.fills)
            if update.status is OrderStatus.CANCELLED:
                payloads.append(
                    OrderCancelled(**common, filled_quantity=update.filled_quantity, reason=update.reason or "day end")
                )
            elif update.status is OrderStatus.REJECTED:
                payloads.append(OrderFailed(**common, reason=update.reason or "rejected by broker"))
            outputs.extend(derive(cause, p, self.name) for p in payloads)
        return outputs
