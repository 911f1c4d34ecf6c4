"""The size stage: the batch barrier over signal.routed + scan.completed, then Kelly orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import ScanCompleted, SignalRouted
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages.common import Outputs, derive, expect
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.sizing.allocate import size_batch
from alphamoe.sizing.config import SizingConfig


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
