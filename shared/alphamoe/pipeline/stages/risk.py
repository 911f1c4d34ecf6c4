"""The risk stage: order.proposed batch → order.approved (signed) | order.rejected.

Only proposals of a run this deployment's issuer started are decided (the run token, `security.runs`); the
token's mode says whether the run is today's session or a simulation/replay (`risk.session`). The batch
barrier has the size barrier's timeout: `expire` decides the proposals at hand, and a proposal arriving
after its batch closed is refused with LATE_PROPOSAL (the runtime answers 4xx and parks it), never dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from alphamoe.clock.config import ClockSettings
from alphamoe.errors import EventError
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import MarketOpen, OrderProposed
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.barrier import BarrierStore, MemoryBarrier
from alphamoe.pipeline.stages.common import Outputs, derive, expect
from alphamoe.pipeline.stages.market_data import MarketData, prefetch
from alphamoe.pipeline.stages.protocol import BaseStage
from alphamoe.risk.engine import RiskEngine, derived_id
from alphamoe.risk.facts import FactsSource
from alphamoe.risk.session import binding_for, replay_of, run_refusal
from alphamoe.risk.state import TradingState
from alphamoe.security import runs

LATE_PROPOSAL = "LATE_PROPOSAL"
_PREFIX = "risk:"  # + account id + ":" + run id: one batch per account and run (several share one Redis)


class LateProposalError(EventError):
    """A proposal for a batch risk has already decided: refused with LATE_PROPOSAL and parked, never decided."""

    code = LATE_PROPOSAL


class RiskStage(BaseStage):
    """order.proposed → order.approved (signed) | order.rejected, evaluated per batch in a fixed order.

    `event_key` verifies run tokens; `clock` gives the exchange's zone and session close (a session
    approval's expiry); `today` and `now` are the exchange's current day and the time (injectable for tests).
    """

    name = "risk"

    def __init__(
        self,
        data: MarketData,
        accounts: AccountBook,
        engine: RiskEngine,
        trading_state: Callable[[], TradingState],
        *,
        event_key: bytes,
        barrier: BarrierStore | None = None,
        facts: FactsSource | None = None,
        clock: ClockSettings | None = None,
        timeout_s: float = 300.0,
        today: Callable[[], date] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.data, self.accounts, self.engine, self.trading_state = data, accounts, engine, trading_state
        self.facts = facts if facts is not None else FactsSource(data.store, data.reference)
        self.barrier: BarrierStore = barrier if barrier is not None else MemoryBarrier()
        self.event_key, self.timeout_s = event_key, timeout_s
        self.clock = clock or ClockSettings()
        self.now = now or (lambda: datetime.now(UTC))
        self.today = today or (lambda: self.now().astimezone(self.clock.zone).date())

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        if isinstance(envelope.payload, MarketOpen):
            prefetch(self.data, self.facts, envelope.payload.trading_day)
            return []
        order = expect(envelope, OrderProposed)
        if order.account_id != self.accounts.account_id:
            return []  # one risk per account (issue 20): another account's proposal is its own risk's to decide
        # AuthenticationError (401) unless this deployment's issuer started the run, for this order's day
        runs.verify(self.event_key, envelope.run_token, envelope.run_id, order.trading_day)
        key, member = f"{_PREFIX}{order.account_id}:{envelope.run_id}", f"{order.batch_index:06d}"
        closer = self.barrier.join(key, member, envelope)
        if closer is not None:
            return self._after_close(key, member, envelope, closer)
        if len(self.barrier.members(key)) < order.batch_size or self.barrier.close(key, envelope.id) != envelope.id:
            return []  # still waiting, or another event closed the batch and its handler decided it
        return self._decide(key, self.now())

    def expire(self, now: float | None = None) -> Outputs:
        """Decide the proposals at hand of batches whose barrier waited past the timeout; each decision says so.

        The missing proposals, should they arrive, are late (`LateProposalError`): one lost proposal no
        longer leaves the day undecided.
        """
        outputs: Outputs = []
        now = time.time() if now is None else now
        for key, opened in self.barrier.opened().items():
            if not key.startswith(f"{_PREFIX}{self.accounts.account_id}:") or now - opened < self.timeout_s:
                continue
            if self.barrier.close(key, f"timeout:{key}") != f"timeout:{key}":
                continue
            members = self.barrier.members(key)
            if not members:
                continue
            expected = max(e.payload.batch_size for e in members.values())
            note = (
                f"risk batch barrier timed out after {self.timeout_s:g} s with {len(members)} of {expected} "
                "proposals: decided those at hand"
            )
            outputs += self._decide(key, datetime.fromtimestamp(now, UTC), note=note)
        return outputs

    def _after_close(self, key: str, member: str, envelope: Envelope[Any], closer: str) -> Outputs:
        decided = self.barrier.members(key).get(member)
        if decided is not None and decided.id == envelope.id:
            # a redelivery of a decided proposal: the closing event's recomputes the decisions, any other's is done
            return self._decide(key, self.now()) if closer == envelope.id else []
        order: OrderProposed = envelope.payload
        raise LateProposalError(
            f"{LATE_PROPOSAL}: order {derived_id(order)} (batch index {order.batch_index} of {order.batch_size}) "
            f"of run {envelope.run_id} arrived after its batch was closed by {closer}: not decided, refused",
            field="batch_index",
        )

    def _decide(self, key: str, at: datetime, *, note: str | None = None) -> Outputs:
        batch = [e for _, e in sorted(self.barrier.members(key).items())]
        first = batch[0]
        day, run_id = first.payload.trading_day, first.run_id
        mode = runs.verify(self.event_key, first.run_token, run_id, day)  # every member's was checked on join
        orders: list[OrderProposed] = [e.payload for e in batch]
        if note is not None:
            orders = [type(o)(**{**o.model_dump(), "reasons": (*o.reasons, note)}) for o in orders]
        causes = {derived_id(e.payload): e for e in batch}
        account = self.accounts.opening_state(day)
        limits = self.engine.limits
        refusal = run_refusal(mode, day, self.today(), limits)
        if self.engine.switch is not None and refusal is None:  # the loss limits see the equity at the open
            self.engine.switch.observe_equity(account.account_id, day, account.equity, limits, at=at)
        decisions = self.engine.evaluate_batch(
            day,
            orders,
            account,
            self.data.reference(day),
            self.trading_state(),
            facts=self.facts.facts(day),
            replay=replay_of(mode, run_id),
            now=at,  # the batch is sent at once: its orders share this second of the rate throttle
            state_reason="ALPHAMOE_TRADING_STATE",
            binding=binding_for(mode, day, at, self.clock, limits),
            refusal=refusal,
        )
        return [derive(causes[d.order.order_id], d, self.name) for d in decisions]
