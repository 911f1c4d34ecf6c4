"""The risk stage: order.proposed batch → order.approved (signed) | order.rejected."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import MarketOpen, OrderProposed
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.barrier import BarrierStore, MemoryBarrier
from alphamoe.pipeline.stages.common import Outputs, derive, expect
from alphamoe.pipeline.stages.market_data import MarketData, prefetch
from alphamoe.risk.engine import RiskEngine
from alphamoe.risk.facts import FactsSource
from alphamoe.risk.state import TradingState


class RiskStage:
    """order.proposed → order.approved (signed) | order.rejected, evaluated per batch in a fixed order."""

    name = "risk"

    def __init__(
        self,
        data: MarketData,
        accounts: AccountBook,
        engine: RiskEngine,
        trading_state: Callable[[], TradingState],
        *,
        barrier: BarrierStore | None = None,
        facts: FactsSource | None = None,
    ) -> None:
        self.data, self.accounts, self.engine, self.trading_state = data, accounts, engine, trading_state
        self.facts = facts if facts is not None else FactsSource(data.store, data.reference)
        self.barrier: BarrierStore = barrier if barrier is not None else MemoryBarrier()

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        if isinstance(envelope.payload, MarketOpen):
            prefetch(self.data, self.facts, envelope.payload.trading_day)
            return []
        order = expect(envelope, OrderProposed)
        key = f"risk:{envelope.run_id}"
        self.barrier.add(key, f"{order.batch_index:06d}", envelope)
        batch = dict(sorted(self.barrier.members(key).items()))
        if len(batch) < order.batch_size or self.barrier.close(key, envelope.id) != envelope.id:
            return []  # still waiting, or another event closed the batch and its handler decided it
        day = order.trading_day
        causes = {e.payload.order_id: e for e in batch.values()}
        account = self.accounts.opening_state(day)
        if self.engine.switch is not None:  # the loss limits see the equity at the open, once a day
            self.engine.switch.observe_equity(
                account.account_id, day, account.equity, self.engine.limits, at=datetime.now(UTC)
            )
        decisions = self.engine.evaluate_batch(
            day,
            [e.payload for e in batch.values()],
            account,
            self.data.reference(day),
            self.trading_state(),
            facts=self.facts.facts(day),
            run=envelope.run_id,
            state_reason="ALPHAMOE_TRADING_STATE",
        )
        return [derive(causes[d.order.order_id], d, self.name) for d in decisions]
