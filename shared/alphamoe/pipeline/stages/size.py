"""The size stage: the batch barrier over signal.routed + scan.completed, then Kelly orders and why not."""

from __future__ import annotations

import time
from typing import Any

from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import MarketOpen, OrderProposed, ScanCompleted, SignalRouted, SizingCompleted
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.barrier import BarrierStore, MemoryBarrier
from alphamoe.pipeline.stages.common import Outputs, derive, expect
from alphamoe.pipeline.stages.market_data import MarketData, prefetch
from alphamoe.pipeline.stages.protocol import BaseStage
from alphamoe.risk.facts import FactsSource
from alphamoe.sizing.allocate import allocate
from alphamoe.sizing.config import SizingConfig
from alphamoe.sizing.consistency import check_order_floor


class SizeStage(BaseStage):
    """signal.routed + scan.completed → order.proposed, once the whole batch is in (DESIGN.md §4 barrier),
    and one sizing.completed: why each confirmed signal without an order got none.

    The allocation sorts by a stable key, so the orders do not depend on the arrival order of events.
    """

    name = "size"

    def __init__(
        self,
        data: MarketData,
        accounts: AccountBook,
        config: SizingConfig,
        commission: CommissionSchedule,
        *,
        barrier: BarrierStore | None = None,
        timeout_s: float = 300.0,
        facts: FactsSource | None = None,
    ) -> None:
        check_order_floor(accounts.initial_cash, config)  # a cap below the order floor would size nothing
        self.data, self.accounts, self.config, self.commission = data, accounts, config, commission
        self.facts = facts if facts is not None else FactsSource(data.store, data.reference)
        self.barrier: BarrierStore = barrier if barrier is not None else MemoryBarrier()
        self.timeout_s = timeout_s

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        if isinstance(envelope.payload, MarketOpen):
            prefetch(self.data, self.facts, envelope.payload.trading_day)
            return []
        key = self._prefix + envelope.run_id
        if isinstance(envelope.payload, ScanCompleted):
            self.barrier.add(key, "completed", envelope)
        else:
            routed = expect(envelope, SignalRouted)
            self.barrier.add(key, f"routed:{routed.signal.signal_id}", envelope)
        members = self.barrier.members(key)
        completed = members.get("completed")
        routed_in = [e.payload for k, e in sorted(members.items()) if k.startswith("routed:")]
        if completed is None or len(routed_in) < completed.payload.candidates:
            return []
        if self.barrier.close(key, envelope.id) != envelope.id:
            return []  # another event closed this batch: its handler proposed the orders
        return self._propose(completed, routed_in)

    def expire(self, now: float | None = None) -> Outputs:
        """Propose with the signals at hand for batches whose barrier waited past the timeout (DESIGN.md §4).

        The orders say so in their reasons. A batch without scan.completed cannot be sized and stays open.
        """
        outputs: Outputs = []
        now = time.time() if now is None else now
        for key, opened in self.barrier.opened().items():
            if not key.startswith(self._prefix) or now - opened < self.timeout_s:
                continue
            members = self.barrier.members(key)
            completed = members.get("completed")
            if completed is None or self.barrier.close(key, f"timeout:{key}") != f"timeout:{key}":
                continue
            routed_in = [e.payload for k, e in sorted(members.items()) if k.startswith("routed:")]
            note = (
                f"batch barrier timed out after {self.timeout_s:g} s with {len(routed_in)} of "
                f"{completed.payload.candidates} routed signals"
            )
            for proposal in self._propose(completed, routed_in):
                out = proposal.payload
                if isinstance(out, OrderProposed):
                    out = OrderProposed(**{**out.model_dump(), "reasons": (*out.reasons, note)})
                elif isinstance(out, SizingCompleted):
                    out = SizingCompleted(**{**out.model_dump(), "notes": (*out.notes, note)})
                outputs.append(derive(completed, out, self.name))
        return outputs

    @property
    def _prefix(self) -> str:
        # one batch per account and run: several accounts' size stages share one Redis (issue 20)
        return f"size:{self.accounts.account_id}:"

    def _propose(self, completed: Envelope[ScanCompleted], routed: list[SignalRouted]) -> Outputs:
        day = completed.payload.trading_day
        account = self.accounts.opening_state(day)
        batch = allocate(
            day,
            routed,
            completed.payload.exits,
            account,
            self.data.reference(day),
            self.config,
            self.commission,
            facts=self.facts.facts(day),
        )
        summary = SizingCompleted(
            trading_day=day,
            account_id=account.account_id,
            proposed=len(batch.orders),
            confirmed=batch.confirmed,
            unsized=batch.unsized,
        )
        return [*(derive(completed, order, self.name) for order in batch.orders), derive(completed, summary, self.name)]
