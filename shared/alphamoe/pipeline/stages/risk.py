"""The risk stage: order.proposed batch → order.approved (signed) | order.rejected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import OrderProposed
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages.common import Outputs, derive, expect
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.risk.engine import RiskEngine
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
