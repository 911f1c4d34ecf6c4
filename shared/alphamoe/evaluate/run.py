"""Run an evaluation: prepare the span once, run the three arms, score each against what followed.

The same bars, record and settings give the same Evaluation, byte for byte: nothing here reads the clock,
and the LLM arm's cost and latency are read from the decision record, not measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from alphamoe.backtest.analysis import account_values, analysed
from alphamoe.backtest.benchmark import index_curve, universe_average
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import Prepared, prepare
from alphamoe.backtest.picks import VERDICTS
from alphamoe.decisions.record import CallRecord, call_key
from alphamoe.decisions.store import DecisionStore
from alphamoe.errors import ConfigurationError
from alphamoe.evaluate.anonymise import anonymise
from alphamoe.evaluate.arms import ArmRun, llm_arm, quant_arm, symbolic_arm
from alphamoe.evaluate.model import ArmReport, Cost, Evaluation, PassedOverScore
from alphamoe.evaluate.outcomes import (
    HORIZONS,
    FloatArray,
    adjusted_closes,
    forward_returns,
    regimes,
    style_factors,
)
from alphamoe.evaluate.scoring import attribution, calibration, passed_over, right
from alphamoe.evaluate.track import TRACK_HORIZON, expert_summaries, track_records
from alphamoe.events.payloads import SignalRouted
from alphamoe.evidence.provider import EvidenceProvider
from alphamoe.llm.judge import prompt_hash
from alphamoe.market.bars import BarStore
from alphamoe.router.graph import Router
from alphamoe.router.llm import SPECS
from alphamoe.strategy.base import Strategy
from alphamoe.types import ExpertKind, Verdict

CONFIRM = VERDICTS.index(Verdict.CONFIRM)
VETO = VERDICTS.index(Verdict.VETO)
PROBES = 50
"""Missing LLM decisions probed for the other mode's answers (an anonymised record read as named, or back)."""


@dataclass(frozen=True)
class EvaluationRequest:
    """What to evaluate: the span, the strategy and backtest settings, and how the LLM arm answers."""

    start: date
    end: date
    strategy: Strategy
    config: BacktestConfig
    anonymised: bool = False
    live: bool = False
    track_weights: bool = False
    index: Path | None = None
    universe: Sequence[str] | None = None


@dataclass(frozen=True)
class LlmArmInputs:
    """The LLM arm's router, its record, and the evidence as the model would see it named (for probes)."""

    router: Router
    record: DecisionStore
    named_evidence: EvidenceProvider
    model: str


def evaluate(bars: BarStore, request: EvaluationRequest, llm: LlmArmInputs) -> Evaluation:
    """Return the three arms side by side over request.start … request.end (module docstring)."""
    config = BacktestConfig.model_validate({**request.config.model_dump(), "route": "symbolic"})
    prepared = prepare(bars, request.start, request.end, request.strategy, config, request.universe)
    panel, first_row = prepared.market.panel, prepared.market.first_row
    closes = adjusted_closes(panel)
    whole = universe_average(panel, 0)  # from the first loaded row: the regime needs 20 sessions before
    regime = regimes(whole.to_numpy(dtype=np.float64))
    at_horizon = {h: _forward(prepared, closes, h) for h in HORIZONS}
    track_forward = at_horizon[TRACK_HORIZON]
    rows, cols = _rows_cols(prepared)
    lookup = {(int(r), int(c)): float(v) for r, c, v in zip(rows, cols, track_forward, strict=True)}
    runs = [
        quant_arm(prepared),
        symbolic_arm(prepared),
        llm_arm(
            prepared,
            llm.router,
            regime,
            track_weights=request.track_weights,
            outcome=lambda t, c: lookup.get((t, c), float("nan")),
        ),
    ]
    base = max(first_row - 1, 0)
    bench = (
        index_curve(request.index, pd.Timestamp(panel.dates[base]).date(), request.end)
        if request.index is not None
        else universe_average(panel, base)
    )
    factors = {name: values[first_row:] for name, values in style_factors(panel, closes).items()}
    llm_run = runs[2]
    records = _records(llm_run.routed, llm.record)
    _check_mode(llm_run.routed, records, request.anonymised, llm)
    symbolic_confirmed = runs[1].picks.verdict == CONFIRM
    reports = []
    for run in runs:
        result = analysed(run.result, bench)
        versus = result.analysis.versus if result.analysis is not None else None
        values = account_values(result)
        daily = values[1:] / values[:-1] - 1.0
        confirmed = run.picks.verdict == CONFIRM
        judged = confirmed | (run.picks.verdict == VETO)
        known = judged & np.isfinite(track_forward)
        reports.append(
            ArmReport(
                name=run.name,
                verdicts=run.picks.counts(),
                total_return=result.metrics.total_return,
                excess_return=versus.excess_return if versus is not None else None,
                sharpe=result.metrics.sharpe,
                max_drawdown=result.metrics.max_drawdown,
                fills=result.metrics.fills,
                passed_over=tuple(passed_over(~confirmed, confirmed, at_horizon)),
                added_vetoes=_added(run, symbolic_confirmed, at_horizon),
                calibration=tuple(
                    calibration(run.picks.confidence[known], right(confirmed[known], track_forward[known]))
                ),
                attribution=attribution(daily, {k: v[: len(daily)] for k, v in factors.items()}),
                cost=_cost(run.routed, records, len(run.picks.cols), len(result.equity)) if run.name == "llm" else None,
                equity=tuple(float(v) for v in values[1:]),
            )
        )
    return Evaluation(
        start=request.start,
        end=request.end,
        strategy=request.strategy.name,
        record=llm.record.location,
        anonymised=request.anonymised,
        live=request.live,
        benchmark=str(bench.name) if bench is not None else None,
        sessions=len(runs[0].result.equity),
        candidates=len(prepared.picks.cols),
        days=tuple(p.day for p in runs[0].result.equity),
        benchmark_curve=tuple(float(v) for v in bench.to_numpy(dtype=np.float64)) if bench is not None else (),
        arms=tuple(reports),
        experts=tuple(expert_summaries(llm_run.scored)),
        track_records=tuple(track_records(llm_run.scored)),
    )


def _rows_cols(prepared: Prepared) -> tuple[np.ndarray, np.ndarray]:
    start = prepared.picks.start
    return np.repeat(np.arange(len(start) - 1), np.diff(start)), prepared.picks.cols


def _forward(prepared: Prepared, closes: FloatArray, horizon: int) -> FloatArray:
    rows, cols = _rows_cols(prepared)
    return forward_returns(closes, rows.astype(np.int64), cols.astype(np.int64), horizon)


def _added(run: ArmRun, symbolic_confirmed: np.ndarray, at: dict[int, FloatArray]) -> tuple[PassedOverScore, ...]:
    if run.name != "llm":
        return ()
    confirmed = run.picks.verdict == CONFIRM
    return tuple(passed_over(symbolic_confirmed & ~confirmed, confirmed, at))


def _llm_opinions(routed: Sequence[SignalRouted]) -> list[tuple[SignalRouted, str | None]]:
    # every LLM expert's opinion that came (or should have come) from a call: its call key, or None if missing
    return [(r, o.call_key) for r in routed for o in r.opinions if o.kind is ExpertKind.LLM and o.fallback is None]


def _missing(routed: Sequence[SignalRouted]) -> int:
    # candidates whose LLM decisions are incomplete: an LLM opinion with no answer in the record, or an LLM
    # expert the gate passed over because the run's budget was spent
    def incomplete(r: SignalRouted) -> bool:
        unanswered = any(o.kind is ExpertKind.LLM and o.fallback is None and o.call_key is None for o in r.opinions)
        return unanswered or any(not g.selected and "budget exhausted" in g.why for g in r.gate)

    return sum(incomplete(r) for r in routed)


def _records(routed: Sequence[SignalRouted], store: DecisionStore) -> dict[str, CallRecord]:
    keys = sorted({key for _, key in _llm_opinions(routed) if key is not None})
    found = {key: store.get_call(key) for key in keys}
    return {key: record for key, record in found.items() if record is not None}


def _check_mode(
    routed: Sequence[SignalRouted], records: dict[str, CallRecord], anonymised: bool, llm: LlmArmInputs
) -> None:
    """Refuse an anonymised record evaluated as named, or a named one as anonymised, with the reason."""
    mode = "anonymised" if anonymised else "named"
    other = "named" if anonymised else "anonymised"
    crossed = sorted(key for key, record in records.items() if record.anonymised != anonymised)
    if crossed:
        raise ConfigurationError(
            f"the decision record {llm.record.location} answered {len(crossed)} call(s) of this {mode} evaluation "
            f"with {other} prompts (e.g. {crossed[0]}): a record built {other} cannot be evaluated {mode}"
        )
    missing = [r for r, key in _llm_opinions(routed) if key is None]
    if not missing:
        return
    found = 0
    for signal_routed in missing[:PROBES]:
        signal = signal_routed.signal
        for spec in SPECS:
            named = llm.named_evidence.evidence(signal, spec.kinds)
            if not named.dated_items():
                continue
            probe = named if anonymised else anonymise(named, float(signal.reference_price))
            key = call_key(spec.name, llm.model, prompt_hash(spec.system_prompt), probe.input_hash())
            found += llm.record.get_call(key) is not None
    if found:
        flag = "without --anonymise" if anonymised else "with --anonymise"
        raise ConfigurationError(
            f"the decision record {llm.record.location} holds {other} answers ({found} found among the first "
            f"{min(len(missing), PROBES)} missing decisions) where this {mode} evaluation found none: an {other} "
            f"record cannot be evaluated {mode}; run {flag}"
        )


def _cost(routed: Sequence[SignalRouted], records: dict[str, CallRecord], candidates: int, sessions: int) -> Cost:
    opinions = _llm_opinions(routed)
    used = [records[key] for _, key in opinions if key is not None and key in records]
    tokens = sum(r.usage.total for r in used)
    cny = sum((r.cost_cny for r in used), Decimal(0))
    latency = np.array([r.latency_ms for r in used], dtype=np.float64)
    micro = Decimal("0.000001")
    return Cost(
        calls=len(used),
        missing_candidates=_missing(routed),
        refused=sum(r.refusal is not None for r in used),
        tokens=tokens,
        cost_cny=cny,
        tokens_per_candidate=round(tokens / candidates, 6) if candidates else 0.0,
        cny_per_candidate=(cny / candidates).quantize(micro) if candidates else Decimal(0),
        tokens_per_session=round(tokens / sessions, 6) if sessions else 0.0,
        cny_per_session=(cny / sessions).quantize(micro) if sessions else Decimal(0),
        latency_ms_mean=round(float(latency.mean()), 6) if len(latency) else None,
        latency_ms_p95=round(float(np.percentile(latency, 95)), 6) if len(latency) else None,
    )
