"""The route stage: signal.generated → signal.routed through the mixture of experts.

`handle` routes one event (the function's HTTP path); `route_many` routes a batch in one graph invocation
so the LLM experts' calls for different signals run concurrently (the in-process day and the benchmark).
Every verdict's full trail (gate, opinions, summary) goes to the decision record, for `alphamoe explain`.
With route mode "none" (ALPHAMOE_ROUTE__MODE, `alphamoe run --route none`) no expert is asked: every
signal is confirmed at confidence 1, exactly as the backtest's `--route none` (router/quant_only.py).
Events marked `replayof` (a replayed run) go to the replay router, whose LLM experts answer from the
decision record only: a running function replays a recorded run without any model call.
With ALPHAMOE_ROUTE__TRACK_RECORD_WEIGHTS=true the gate of day D weighs each expert by its track record on
the signal's board in D−1's regime, computed from the decision record with only the outcomes known by D−1's
close (evaluate.recorded); each gate choice's `why` names the multiplier it applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from alphamoe.decisions.record import RouteTrail
from alphamoe.decisions.store import DecisionStore
from alphamoe.decisions.store import decision_store as decision_store  # re-exported: it lives with the store
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import SignalGenerated, SignalRouted
from alphamoe.evidence.identity import PointInTimeNames
from alphamoe.evidence.provider import EvidenceProvider
from alphamoe.evidence.sources import open_evidence
from alphamoe.llm.judge import LlmJudge
from alphamoe.llm.settings import record_only
from alphamoe.market.bars import BarStore, has_bar_store
from alphamoe.pipeline.stages.common import Outputs, derive, expect
from alphamoe.pipeline.stages.protocol import BaseStage
from alphamoe.router.experts import ExpertRegistry
from alphamoe.router.graph import Router, default_router
from alphamoe.router.quant_only import quant_only_routes
from alphamoe.settings import Settings

if TYPE_CHECKING:
    from alphamoe.evaluate.recorded import DayTrack


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
        track: Callable[[date], DayTrack] | None = None,
    ) -> None:
        self.router = router
        self.replay_router = replay_router or router
        self.record = record
        self.now = now
        self.track = track  # the day's track records (opt-in): the gate weighs experts by them

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        return self.route_many([envelope])

    def route_many(self, envelopes: Sequence[Envelope[Any]]) -> Outputs:
        """Route every signal.generated in `envelopes` at once; outputs follow the input order."""
        signals = [expect(e, SignalGenerated) for e in envelopes]
        by_input: list[Any] = [None] * len(signals)
        for day in sorted({s.trading_day for s in signals}):
            track = self.track(day) if self.track is not None else None
            for router, replayed in ((self.router, False), (self.replay_router, True)):
                indices = [
                    i
                    for i, e in enumerate(envelopes)
                    if (e.replay_of is not None) is replayed and signals[i].trading_day == day
                ]
                batch = [signals[i] for i in indices]
                for index, verdict in zip(indices, _route_in_order(router, batch, track), strict=True):
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


def _route_in_order(router: Router, signals: Sequence[SignalGenerated], track: DayTrack | None = None) -> list[Any]:
    """Route `signals` in one batch and return the verdicts in the input order; with the day's `track`, the
    gate weighs experts by their records in its regime."""
    if not signals:
        return []
    if track is None:
        routed = router.route_batch(signals)
    else:
        from alphamoe.evaluate.track import weighted_config

        config = weighted_config(router.config, track.weights)
        weighted = Router(router.registry, config, concurrency=router.concurrency)
        routed = weighted.route_batch(signals, regime=track.regime)
    # route_batch sorts by signal_id, stable among equal ids: undo that sort to pair verdicts with causes
    order = sorted(range(len(signals)), key=lambda i: signals[i].signal_id)
    by_input: list[Any] = [None] * len(signals)
    for position, index in enumerate(order):
        by_input[index] = routed[position]
    return by_input


def build_route_stage(settings: Settings) -> RouteStage:
    """Build the route stage: quant only (mode "none"), else symbolic experts, and LLM experts when a model is
    configured or replayed; with ALPHAMOE_ROUTE__TRACK_RECORD_WEIGHTS, the gate weighs experts by their records."""
    stage = _route_stage(settings)
    if settings.route.track_record_weights and settings.route.mode != "none":
        from alphamoe.evaluate.recorded import DayTracks

        store, bars = stage.record or decision_store(settings), BarStore(settings.data, s3=settings.s3)
        stage.track = DayTracks(store, bars)
    return stage


def _route_stage(settings: Settings) -> RouteStage:
    llm = settings.llm
    store = decision_store(settings)
    if settings.route.mode == "none":
        return RouteStage(QuantOnlyRouter(), record=store)
    if not llm.enabled:
        return RouteStage(default_router(llm_enabled=False), record=store)
    bars = BarStore(settings.data, s3=settings.s3) if has_bar_store(settings.data, s3=settings.s3) else None
    names = PointInTimeNames(bars) if bars is not None else None
    evidence = EvidenceProvider(
        open_evidence(settings.data, llm.evidence), max_items=llm.max_evidence_items, names=names
    )
    router = default_router(llm_enabled=True, judge=LlmJudge(llm, store), evidence=evidence)
    if llm.replay and not llm.allow_live:  # already answering from the record only
        return RouteStage(router, record=store)
    from_record = default_router(llm_enabled=True, judge=LlmJudge(record_only(llm), store), evidence=evidence)
    return RouteStage(router, record=store, replay_router=from_record)
