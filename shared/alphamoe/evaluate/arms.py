"""The three arms over one span: the same scan's picks, judged by nobody, by the symbolic panel, by the panel
with the LLM experts, each then sized, risk-checked and filled by the same backtest loop.

(a) quant: every pick confirmed (backtest `--route none`); (b) symbolic: the panel with no model (`--route
symbolic`); (c) llm: the live Router with the LLM experts, session by session, answering from the decision
record (or the model, when live). Arm (c) passes each session's regime (evaluate.outcomes.regimes) to the gate;
with `track_weights` the gate also weighs each expert by its track record as of that session (evaluate.track).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from alphamoe.backtest.compiled.engine import simulate_compiled
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import Prepared
from alphamoe.backtest.picks import VERDICTS, Picks
from alphamoe.backtest.result import BacktestResult
from alphamoe.backtest.routing import pick_signals, route_picks
from alphamoe.evaluate.model import TrackRecord
from alphamoe.evaluate.track import ScoredVerdict, track_multipliers, track_records, weighted_config
from alphamoe.events.payloads import SignalRouted
from alphamoe.router.graph import Router
from alphamoe.types import Verdict

ARMS = ("quant", "symbolic", "llm")
Outcome = Callable[[int, int], float]
"""outcome(row, col): the pick's forward return at the track records' horizon (scoring only)."""


@dataclass(frozen=True)
class ArmRun:
    """One arm's picks with their verdicts, the routed decisions behind them (arm llm) and the backtest."""

    name: str
    picks: Picks
    result: BacktestResult
    routed: tuple[SignalRouted, ...] = ()
    scored: tuple[ScoredVerdict, ...] = ()  # every expert's confirm or veto, with its outcome (arm llm)


def _with_route(config: BacktestConfig, route: str) -> BacktestConfig:
    return BacktestConfig.model_validate({**config.model_dump(), "route": route})


def quant_arm(prepared: Prepared) -> ArmRun:
    """Arm (a): the same picks, every one confirmed (the quant alone)."""
    config = _with_route(prepared.config, "none")
    picks = route_picks(prepared.market, prepared.signals, prepared.kelly, prepared.strategy.name, config)
    return _simulated("quant", dataclasses.replace(prepared, picks=picks, config=config))


def symbolic_arm(prepared: Prepared) -> ArmRun:
    """Arm (b): the picks as the symbolic panel judged them (`prepared` was routed "symbolic")."""
    return _simulated("symbolic", prepared)


def llm_arm(
    prepared: Prepared,
    router: Router,
    regimes: Sequence[str],
    *,
    track_weights: bool = False,
    outcome: Outcome | None = None,
) -> ArmRun:
    """Arm (c): each session's picks through `router` (symbolic + LLM experts), in session order.

    With `track_weights`, session t's gate weighs experts by the records of verdicts whose outcome (`outcome`)
    was known by row t; nothing later.
    """
    picks = prepared.picks
    market, signals, kelly, strategy = prepared.market, prepared.signals, prepared.kelly, prepared.strategy.name
    n = len(picks.cols)
    verdict, confidence = np.empty(n, dtype=np.int8), np.empty(n, dtype=np.float64)
    summaries = [""] * n
    routed_all: list[SignalRouted] = []
    scored: list[ScoredVerdict] = []
    col_of = {s: i for i, s in enumerate(market.panel.symbols)}
    for t in np.flatnonzero(np.diff(picks.start)).tolist():
        at = picks.at(t)
        batch = pick_signals(market, signals, kelly, strategy, t, picks.cols[at])
        session_router = router
        if track_weights and outcome is not None:
            session_router = _weighted(router, track_records(scored, as_of=t))
        by_id = {r.signal.signal_id: r for r in session_router.route_batch(batch, regime=regimes[t])}
        for k, signal in enumerate(batch, start=at.start):
            routed = by_id[signal.signal_id]
            verdict[k] = VERDICTS.index(routed.verdict)
            confidence[k] = routed.confidence
            summaries[k] = routed.reasoning_summary
            routed_all.append(routed)
            if outcome is not None:
                forward = outcome(t, col_of[signal.symbol])
                scored += [
                    ScoredVerdict(
                        o.expert, signal.board.value, regimes[t], t, o.verdict is Verdict.CONFIRM, o.confidence, forward
                    )
                    for o in routed.opinions
                    if o.verdict is not Verdict.ABSTAIN
                ]
    llm_picks = Picks(picks.start, picks.cols, verdict, confidence, tuple(summaries))
    run = _simulated("llm", dataclasses.replace(prepared, picks=llm_picks))
    return dataclasses.replace(run, routed=tuple(routed_all), scored=tuple(scored))


def _weighted(router: Router, records: Sequence[TrackRecord]) -> Router:
    table = track_multipliers(records)
    if not table:
        return router
    return Router(router.registry, weighted_config(router.config, table), concurrency=router.concurrency)


def _simulated(name: str, prepared: Prepared) -> ArmRun:
    return ArmRun(name=name, picks=prepared.picks, result=simulate_compiled(prepared))
