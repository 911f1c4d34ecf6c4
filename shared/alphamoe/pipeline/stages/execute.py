"""The execute stage: order.approved and market.close to the execution service; paper sessions by default."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from alphamoe.broker.desk import DeskConfig, OrderDesk
from alphamoe.broker.journal import Journal, MemoryJournal
from alphamoe.broker.lock import DayLocks
from alphamoe.broker.outbox import Publish
from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import Broker
from alphamoe.broker.service import BrokerFactory, ExecutionService
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import MarketClose, OrderApproved, OrderRejected
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages.common import Outputs, expect
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.pipeline.stages.protocol import BaseStage
from alphamoe.portfolio import AccountState
from alphamoe.risk.reservations import ReservationBook


class ExecuteStage(BaseStage):
    """order.approved → order.submitted / filled / cancelled / failed; market.close → expire, snapshot.

    Only orders whose approval HMAC verifies reach the broker (DESIGN.md §5); anything else is parked in
    the journal and refused. Each trading day has an order desk: journal first, then the broker; its
    market.close expires what rests, writes the account snapshot (atomically) and releases the desk. With
    risk's `reservations`, an order that ends frees its working-order claim (ExecutionService.release).
    """

    name = "execute"

    def __init__(
        self,
        data: MarketData,
        accounts: AccountBook,
        secret: bytes,
        commission: CommissionSchedule,
        *,
        journal: Journal | None = None,
        brokers: BrokerFactory | None = None,
        desk: DeskConfig | None = None,
        reconcile_every_s: float | None = None,
        today: Callable[[], date] | None = None,
        reservations: ReservationBook | None = None,
        locks: DayLocks | None = None,
    ) -> None:
        self.data, self.accounts, self.secret, self.commission = data, accounts, secret, commission
        self.service = ExecutionService(
            journal if journal is not None else MemoryJournal(),
            brokers or self._paper,
            secret,
            desk=desk,
            reconcile_every_s=reconcile_every_s,
            today=today,
            reservations=reservations,
            locks=locks,
        )
        self.journal = self.service.journal

    def _paper(self, day: date) -> Broker:
        # the paper counter dies with this process: a restarted one is rebuilt from the journal, its truth
        broker = PaperBroker(self.data.store, day, self.accounts.opening_state(day), self.commission)
        broker.restore(self.journal.records(day))
        return broker

    def closing(self, day: date) -> AccountState:
        """Return the account at `day`'s close (kept in the journal, not in this process); KeyError if open."""
        state = self.journal.closing(day)
        if state is None:
            raise KeyError(f"trading day {day} is not closed")
        return state

    def desk(self, day: date) -> OrderDesk:
        return self.service.desk(day)

    def broker(self, day: date) -> Broker:
        return self.service.desk(day).broker

    def start(self) -> None:
        """Recover after a restart: reconcile every day the journal still has open orders for."""
        self.service.start()

    def health(self) -> tuple[bool, str]:
        """Readiness: every open day's session connected and reconciled (the runtime's readiness probe)."""
        return self.service.health()

    def publish_with(self, publish: Publish) -> None:
        """Flush the journal's outbox to the bus from a thread (the function with Redis): broker pushes
        between events go out at once, and what a killed process journaled goes out after its restart."""
        self.service.publish_with(publish)

    def stop(self) -> None:
        self.service.stop()

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        if isinstance(envelope.payload, MarketClose):
            state, outputs = self.service.close_day(envelope, envelope.payload.trading_day)
            self.accounts.save_close(state)
            return outputs
        if isinstance(envelope.payload, OrderRejected):
            return []
        return self.service.execute(envelope, expect(envelope, OrderApproved))
