"""The route stage: signal.generated → signal.routed through the mixture of experts.

`handle` routes one event (the function's HTTP path); `route_many` routes a batch in one graph invocation
so the LLM experts' calls for different signals run concurrently (the in-process day and the benchmark).
Every verdict's full trail (gate, opinions, summary) goes to the decision record, for `alphamoe explain`.
With route mode "none" (ALPHAMOE_ROUTE__MODE, `alphamoe run --route none`) no expert is asked: every
signal is confirmed at confidence 1, exactly as the backtest's `--route none` (router/quant_only.py).
Events marked `replayof` (a replayed run) go to the replay router, whose LLM experts answer from the
decision record only: a running function replays a recorded run without any model call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from alphamoe.decisions.record import RouteTrail
from alphamoe.decisions.store import DecisionStore, open_store
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import SignalGenerated, SignalRouted
from alphamoe.evidence.provider import EvidenceProvider
from alphamoe.evidence.store import EvidenceStore
from alphamoe.llm.judge import LlmJudge
from alphamoe.llm.settings import record_only
from alphamoe.pipeline.stages.common import Outputs, derive, expect
from alphamoe.pipeline.stages.protocol import BaseStage
from alphamoe.router.experts import ExpertRegistry
from alphamoe.router.graph import Router, default_router
from alphamoe.router.quant_only import quant_only_routes
from alphamoe.settings import Settings


class RouteStage(BaseStage):
    """signal.generated → signal.routed: the experts' verdict with its reasons."""

    name = "route"

    def __init__(
        self,
        router: Router,
        *,
        record: DecisionStore | None = None,
        replay_router: Router | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.router = router
        self.replay_router = replay_router or router
        self.record = record
        self.now = now

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        return self.route_many([envelope])

    def route_many(self, envelopes: Sequence[Envelope[Any]]) -> Outputs:
        """Route every signal.generated in `envelopes` at once; outputs follow the input order."""
        signals = [expect(e, SignalGenerated) for e in envelopes]
        by_input: list[Any] = [None] * len(signals)
        for router, replayed in ((self.router, False), (self.replay_router, True)):
            indices = [i for i, e in enumerate(envelopes) if (e.replay_of is not None) is replayed]
            for index, verdict in zip(indices, _route_in_order(router, [signals[i] for i in indices]), strict=True):
                by_input[index] = verdict
        outputs: Outputs = []
        for envelope, verdict in zip(envelopes, by_input, strict=True):
            if self.record is not None:
                self.record.put_route(RouteTrail(run_id=envelope.run_id, routed=verdict, recorded_at=self.now()))
            outputs.append(derive(envelope, verdict, self.name))
        return outputs


class QuantOnlyRouter(Router):
    """A router without experts: every signal confirmed by `quant_only_routes`, the backtest's route "none"."""

    def __init__(self) -> None:
        super().__init__(ExpertRegistry([]))

    def route_batch(self, signals: Sequence[SignalGenerated], *, regime: str = "unknown") -> list[SignalRouted]:
        return quant_only_routes(signals)


def _route_in_order(router: Router, signals: Sequence[SignalGenerated]) -> list[Any]:
    """Route `signals` in one batch and return the verdicts in the input order."""
    if not signals:
        return []
    routed = router.route_batch(signals)
    # route_batch sorts by signal_id, stable among equal ids: undo that sort to pair verdicts with causes
    order = sorted(range(len(signals)), key=lambda i: signals[i].signal_id)
    by_input: list[Any] = [None] * len(signals)
    for position, index in enumerate(order):
        by_input[index] = routed[position]
    return by_input


def decision_store(settings: Settings) -> DecisionStore:
    """Open ALPHAMOE_DECISIONS, by default <runs>/decisions beside the day reports."""
    return open_store(settings.llm.decisions or settings.runs_dir / "decisions")


def build_route_stage(settings: Settings) -> RouteStage:
    """Build the route stage: quant only (mode "none"), else symbolic experts, and LLM experts when a model is
    configured or replayed."""
    llm = settings.llm
    store = decision_store(settings)
    if settings.route.mode == "none":
        return RouteStage(QuantOnlyRouter(), record=store)
    if not llm.enabled:
        return RouteStage(default_router(llm_enabled=False), record=store)
    evidence = EvidenceProvider(
        EvidenceStore.load(llm.evidence) if llm.evidence is not None else None, max_items=llm.max_evidence_items
    )
    router = default_router(llm_enabled=True, judge=LlmJudge(llm, store), evidence=evidence)
    if llm.replay and not llm.allow_live:  # already answering from the record only
        return RouteStage(router, record=store)
    from_record = default_router(llm_enabled=True, judge=LlmJudge(record_only(llm), store), evidence=evidence)
    return RouteStage(router, record=store, replay_router=from_record)
