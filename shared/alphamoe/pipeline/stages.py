"""The five pipeline stages: each turns one input event into its output events, whatever runs it.

The in-process runner, the HTTP functions and (later) the Redis bridge all call these same `handle`
methods, so backtest, replay and live share one code path. Stages hold only per-run working state (the
batch barriers); the rules themselves live in scan/, router/, sizing/, risk/ and broker/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, TypeVar

from alphamoe.broker.ids import client_order_id
from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import BrokerOrder, SubmitOrder
from alphamoe.errors import DataError, InvalidPayloadError
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import (
    MarketClose,
    MarketOpen,
    OrderApproved,
    OrderCancelled,
    OrderFailed,
    OrderFilled,
    OrderProposed,
    OrderRejected,
    OrderSubmitted,
    Payload,
    ScanCompleted,
    SignalGenerated,
    SignalRouted,
)
from alphamoe.market.bars import BarStore
from alphamoe.market.calendar import TradingCalendar
from alphamoe.market.fees import CommissionSchedule
from alphamoe.market.reference import ReferenceData, pre_open_reference
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.portfolio import AccountState
from alphamoe.risk.approval import verify
from alphamoe.risk.engine import RiskEngine
from alphamoe.risk.state import TradingState
from alphamoe.router.graph import Router
from alphamoe.scan.scanner import scan_day
from alphamoe.sizing.allocate import size_batch
from alphamoe.sizing.config import SizingConfig
from alphamoe.strategy.base import Strategy
from alphamoe.types import OrderStatus

P = TypeVar("P", bound=Payload)
Outputs = list[Envelope[Any]]


def expect(envelope: Envelope[Any], model: type[P]) -> P:
    """Return the payload if it is of `model`, else raise the typed error a handler answers 4xx with."""
    if not isinstance(envelope.payload, model):
        raise InvalidPayloadError(f"this function handles {model.EVENT} events, not {envelope.type}", field="type")
    return envelope.payload


def derive(cause: Envelope[Any], payload: Payload, stage: str) -> Envelope[Any]:
    """Build an output event of `stage` caused by `cause` (same run, causation id kept)."""
    return build_event(payload, run_id=cause.run_id, source=f"/alphamoe/{stage}", causation_id=cause.id)


class MarketData:
    """Read access to the bar store for one process: sessions, point-in-time panels, pre-open reference."""

    def __init__(self, store: BarStore) -> None:
        self.store = store
        self.calendar = TradingCalendar(store.sessions())
        self.reference = lru_cache(maxsize=4)(self._reference)

    def _reference(self, day: date) -> dict[str, ReferenceData]:
        return pre_open_reference(self.store, day)

    def require_trading_day(self, day: date) -> date:
        """Check that `day` is a session with bars in the store; return the previous session (D−1)."""
        self.calendar.require_session(day)
        sessions = self.store.sessions()
        if day not in sessions:
            raise DataError(
                f"the bar store at {self.store.root} has no bars for {day.isoformat()} "
                f"(it covers {sessions[0].isoformat()} … {sessions[-1].isoformat()}); "
                "the paper broker fills against that day's bars"
            )
        previous = self.calendar.previous_session(day)
        if previous is None or previous < sessions[0]:
            raise DataError(f"no history before {day.isoformat()} in {self.store.root}: nothing to scan")
        return previous


class ScanStage:
    """market.open → one signal.generated per candidate, then scan.completed (the batch's size)."""

    name = "scan"

    def __init__(self, data: MarketData, strategy: Strategy, *, lookback: int, max_signals: int = 200) -> None:
        self.data, self.strategy, self.lookback, self.max_signals = data, strategy, lookback, max_signals

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        opened = expect(envelope, MarketOpen)
        previous = self.data.require_trading_day(opened.trading_day)
        panel = self.data.store.panel(until=previous, lookback=self.lookback)
        reference = self.data.reference(opened.trading_day)
        result = scan_day(panel, opened.trading_day, reference, self.strategy, max_signals=self.max_signals)
        outputs: Outputs = [derive(envelope, s, self.name) for s in result.signals]
        outputs.append(derive(envelope, result.completed, self.name))
        return outputs


class RouteStage:
    """signal.generated → signal.routed: the experts' verdict with its reasons."""

    name = "route"

    def __init__(self, router: Router) -> None:
        self.router = router

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        signal = expect(envelope, SignalGenerated)
        return [derive(envelope, self.router.route(signal), self.name)]


@dataclass
class _SizingBatch:
    completed: Envelope[ScanCompleted] | None = None
    routed: dict[str, Envelope[SignalRouted]] = field(default_factory=dict)
    done: bool = False


class SizeStage:
    """signal.routed + scan.completed → order.proposed, once the whole batch is in (DESIGN.md §4 barrier).

    The allocation sorts by a stable key, so the orders do not depend on the arrival order of events.
    """

    name = "size"

    def __init__(
        self, data: MarketData, accounts: AccountBook, config: SizingConfig, commission: CommissionSchedule
    ) -> None:
        self.data, self.accounts, self.config, self.commission = data, accounts, config, commission
        self._batches: dict[str, _SizingBatch] = {}

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        batch = self._batches.setdefault(envelope.run_id, _SizingBatch())
        if isinstance(envelope.payload, ScanCompleted):
            batch.completed = envelope
        else:
            routed = expect(envelope, SignalRouted)
            batch.routed[routed.signal.signal_id] = envelope
        if batch.done or batch.completed is None or len(batch.routed) < batch.completed.payload.candidates:
            return []
        batch.done = True
        return self._propose(batch.completed, [e.payload for e in batch.routed.values()])

    def _propose(self, completed: Envelope[ScanCompleted], routed: list[SignalRouted]) -> Outputs:
        day = completed.payload.trading_day
        orders = size_batch(
            day,
            routed,
            completed.payload.exits,
            self.accounts.opening_state(day),
            self.data.reference(day),
            self.config,
            self.commission,
        )
        return [derive(completed, order, self.name) for order in orders]


class RiskStage:
    """order.proposed → order.approved (signed) | order.rejected, evaluated per batch in a fixed order."""

    name = "risk"

    def __init__(
        self,
        data: MarketData,
        accounts: AccountBook,
        engine: RiskEngine,
        trading_state: Callable[[], TradingState],
    ) -> None:
        self.data, self.accounts, self.engine, self.trading_state = data, accounts, engine, trading_state
        self._batches: dict[str, dict[int, Envelope[OrderProposed]]] = {}

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        order = expect(envelope, OrderProposed)
        batch = self._batches.setdefault(envelope.run_id, {})
        batch[order.batch_index] = envelope
        if len(batch) < order.batch_size:
            return []
        del self._batches[envelope.run_id]
        day = order.trading_day
        causes = {e.payload.order_id: e for e in batch.values()}
        decisions = self.engine.evaluate_batch(
            day,
            [e.payload for e in batch.values()],
            self.accounts.opening_state(day),
            self.data.reference(day),
            self.trading_state(),
        )
        return [derive(causes[d.order.order_id], d, self.name) for d in decisions]


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
