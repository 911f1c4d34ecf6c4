"""Walk-forward: search each in-sample window, trade its best parameters on the next out-of-sample window.

Windows are spans of one study market: in-sample `in_sample` sessions, then `out_of_sample` sessions;
rolling windows move both by `out_of_sample`, anchored ones keep the in-sample start at the first session.
Every out-of-sample segment starts from the initial cash, and the segments' daily returns chained end to
end are the stitched curve: the only curve the report calls the result. Its deflated Sharpe ratio counts
every in-sample trial of every window.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from alphamoe.backtest.metrics import cagr, max_drawdown, sharpe
from alphamoe.errors import DataError
from alphamoe.research.deflated import DeflatedSharpe, deflated_sharpe
from alphamoe.research.execute import Executor
from alphamoe.research.study import SearchSetup, TrialRecord, best, open_study, records, run_studies
from alphamoe.research.trial import Span, StudyMarket, TrialOutcome


@dataclass(frozen=True)
class Window:
    index: int
    in_sample: Span
    out_of_sample: Span


def windows(study: StudyMarket, in_sample: int, out_of_sample: int, *, anchored: bool = False) -> list[Window]:
    """Return the walk-forward windows over the study market's sessions (module docstring)."""
    first, end = study.market.first_row, study.market.panel.close.shape[0]
    sessions = end - first
    if in_sample < 1 or out_of_sample < 1:
        raise DataError(
            f"empty window: --in-sample {in_sample} and --out-of-sample {out_of_sample} sessions must each be ≥ 1"
        )
    if in_sample + out_of_sample > sessions:
        raise DataError(
            f"the range holds {sessions} sessions, fewer than one in-sample window ({in_sample}) and its "
            f"out-of-sample window ({out_of_sample}): the in-sample window would be empty; shorten them or widen "
            "--start/--end"
        )
    out: list[Window] = []
    start = first
    while start + in_sample < end:
        is_first = first if anchored else start
        is_end = start + in_sample
        oos_end = min(is_end + out_of_sample, end)
        out.append(
            Window(
                len(out),
                Span(max(0, is_first - study.history), is_first, is_end),
                Span(max(0, is_end - study.history), is_end, oos_end),
            )
        )
        start += out_of_sample
    return out


@dataclass(frozen=True)
class WindowResult:
    window: Window
    chosen: TrialRecord
    trials: int
    out_of_sample: TrialOutcome
    in_sample_days: tuple[date, date]


@dataclass(frozen=True)
class WalkForward:
    windows: list[WindowResult]
    days: list[date]
    values: list[float]  # the stitched out-of-sample curve, initial cash first
    figures: dict[str, float]
    trials: int
    deflated: DeflatedSharpe


def stitch(segments: list[TrialOutcome], initial: float) -> tuple[list[date], list[float]]:
    """Return the segments' daily returns chained from `initial` (each segment starts from its own cash)."""
    days: list[date] = []
    values = [initial]
    for seg in segments:
        v = np.asarray(seg.values, dtype=np.float64)
        for day, r in zip(seg.days, (v[1:] / v[:-1]).tolist(), strict=True):
            days.append(day)
            values.append(values[-1] * r)
    return days, values


def walk_forward(
    study: StudyMarket,
    setup: SearchSetup,
    executor: Executor,
    storage: str,
    name: str,
    *,
    in_sample: int,
    out_of_sample: int,
    anchored: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> WalkForward:
    """Search every in-sample window (in parallel), trade each best on its out-of-sample window, stitch them."""
    wins = windows(study, in_sample, out_of_sample, anchored=anchored)
    days = study.days
    jobs: list[tuple[Any, Span]] = [(open_study(setup, storage, f"{name}-w{w.index}"), w.in_sample) for w in wins]
    run_studies(jobs, setup, executor, progress=progress)
    chosen, all_trials = [], []
    for w, (st, _) in zip(wins, jobs, strict=True):
        recs = records(st)
        where = f" of window {w.index} ({days[w.in_sample.first]} … {days[w.in_sample.hi - 1]})"
        chosen.append(best(recs, setup.objective, where))
        all_trials.extend(recs)
    oos = executor.run([(w.out_of_sample, c.params) for w, c in zip(wins, chosen, strict=True)])
    initial = float(study.config.initial_cash)
    stitched_days, values = stitch(oos, initial)
    curve = np.asarray(values, dtype=np.float64)
    returns = curve[1:] / curve[:-1] - 1.0
    years = ((stitched_days[-1] - stitched_days[0]).days + 1) / 365.25
    total = float(curve[-1] / initial - 1.0)
    figures = {
        "total_return": total,
        "cagr": cagr(total, years),
        "sharpe": sharpe(returns),
        "max_drawdown": max_drawdown(curve),
    }
    dsr = deflated_sharpe(
        returns, [t.daily_sharpe for t in all_trials if t.value is not None and math.isfinite(t.daily_sharpe)]
    )
    results = [
        WindowResult(w, c, len(records(st)), o, (days[w.in_sample.first], days[w.in_sample.hi - 1]))
        for w, c, (st, _), o in zip(wins, chosen, jobs, oos, strict=True)
    ]
    return WalkForward(results, stitched_days, values, figures, len(all_trials), dsr)
