"""One trial: a parameter set backtested over a span of the one loaded market, with nothing recompiled.

The market (panel, fen arrays, bands, eligibility) is loaded and built once per study (`load_study_market`);
a trial builds only its strategy, the strategy's decisions, Kelly statistics and picks over the span
(`engine.prepare_market`) and runs the compiled session loop (`simulate_compiled`, numba-compiled once
per process). A span is rows [lo, hi) of the market with sessions from row `first`: rows before `first`
are the warm-up the signals and the Kelly window read (walk-forward windows are spans of one market).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from alphamoe.backtest.analysis import account_values, benchmark_closes
from alphamoe.backtest.benchmark import universe_average
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import prepare_market, store_industries
from alphamoe.backtest.market import BacktestMarket, build_market
from alphamoe.backtest.metrics import versus_benchmark
from alphamoe.backtest.result import BacktestResult
from alphamoe.backtest.strategies import build_strategy
from alphamoe.backtest.universe import load_range, restrict
from alphamoe.data.actions.store import ActionBook
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore, Panel
from alphamoe.research.deflated import moments
from alphamoe.strategy.stats import kelly_history


@dataclass(frozen=True)
class Span:
    """Rows [lo, hi) of the study market, backtested from row `first` (lo ≤ first < hi)."""

    lo: int
    first: int
    hi: int


@dataclass
class StudyMarket:
    """What every trial of a study shares, loaded once: the market, the run's settings and the strategy name."""

    market: BacktestMarket
    config: BacktestConfig
    industries: dict[str, str]
    actions: ActionBook | None
    strategy: str
    history: int  # sessions of warm-up a span needs before its first session
    token: str = ""  # identifies this market in a worker's cache of spans
    _spans: dict[Span, tuple[BacktestMarket, pd.Series]] = field(default_factory=dict, repr=False)

    @property
    def days(self) -> list[date]:
        return list(self.market.panel.days)

    @property
    def full(self) -> Span:
        return Span(0, self.market.first_row, self.market.panel.close.shape[0])

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_spans": {}}  # the span cache is rebuilt where the market lands

    def span_market(self, span: Span) -> tuple[BacktestMarket, pd.Series]:
        """Return the span's market (row views: the fen arrays are row-major) and its universe-average curve."""
        cached = self._spans.get(span)
        if cached is None:
            if not 0 <= span.lo <= span.first < span.hi <= self.market.panel.close.shape[0]:
                raise DataError(f"span rows {span} outside the study market (0 … {self.market.panel.close.shape[0]})")
            market = self.market if span == self.full else slice_market(self.market, span)
            cached = (market, universe_average(market.panel, max(market.first_row - 1, 0)))
            if len(self._spans) >= SPAN_CACHE:
                self._spans.pop(next(iter(self._spans)))
            self._spans[span] = cached
        return cached


SPAN_CACHE = 6  # sliced spans a worker keeps; run_studies advances walk-forward windows this many at a time


def slice_panel(panel: Panel, lo: int, hi: int) -> Panel:
    """Return rows [lo, hi) of `panel`, column-major as `load_range` gives it (the strategy kernels' layout)."""
    arrays = {
        f.name: np.asfortranarray(getattr(panel, f.name)[lo:hi])
        for f in dataclasses.fields(panel)
        if f.name not in ("dates", "symbols")
    }
    return Panel(dates=panel.dates[lo:hi], symbols=panel.symbols, **arrays)


def slice_market(market: BacktestMarket, span: Span) -> BacktestMarket:
    """Return the span's rows of `market`; eligibility of its first row keeps the session before it."""
    rows = slice(span.lo, span.hi)
    arrays = {
        f.name: getattr(market, f.name)[rows]
        for f in dataclasses.fields(market)
        if f.name not in ("panel", "first_row")
    }
    return BacktestMarket(panel=slice_panel(market.panel, span.lo, span.hi), first_row=span.first - span.lo, **arrays)


def load_study_market(
    store: BarStore,
    start: date,
    end: date,
    strategy: str,
    config: BacktestConfig,
    universe: Sequence[str] | None = None,
) -> StudyMarket:
    """Load sessions [start, end] with the warm-up the signals and Kelly statistics need, and build the market."""
    history = max(config.warmup, kelly_history(config.stats_lookback, config.stats_refresh))
    panel, first_row = load_range(store, start, end, history)
    if universe is not None:
        panel = restrict(panel, universe)
    market = build_market(panel, first_row, min_listing_days=config.min_listing_days)
    token = f"{store.root}|{start}|{end}|{len(panel.symbols)}|{strategy}"
    return StudyMarket(market, config, store_industries(store), store.actions(), strategy, history, token)


@dataclass(frozen=True)
class TrialOutcome:
    """One trial's figures (`backtest.metrics` names), its per-session Sharpe and its account values."""

    params: dict[str, Any]
    figures: dict[str, float | None]
    daily_sharpe: float
    values: tuple[float, ...]  # initial cash, then the equity at each session's close
    days: tuple[date, ...]


def run_trial(study: StudyMarket, span: Span, params: dict[str, Any]) -> TrialOutcome:
    """Backtest `params` over `span` of the study market (module docstring)."""
    strategy = build_strategy(study.strategy, params)
    market, bench = study.span_market(span)
    prepared = prepare_market(market, strategy, study.config, study.industries)
    prepared.actions = study.actions
    from alphamoe.backtest.compiled.engine import simulate_compiled  # numba: imported where trials run

    result = simulate_compiled(prepared)
    return outcome(result, bench, params)


def outcome(result: BacktestResult, bench: pd.Series, params: dict[str, Any]) -> TrialOutcome:
    """Return a trial's figures: the run's metrics and its excess over the universe average."""
    m = result.metrics
    values = account_values(result)
    days = [p.day for p in result.equity]
    versus = versus_benchmark(str(bench.name), values, benchmark_closes(bench, days), days[0], days[-1])
    figures: dict[str, float | None] = {
        **{k: v for k, v in m.model_dump().items() if isinstance(v, int | float) or v is None},
        "excess_return": versus.excess_return,
        "excess_cagr": versus.excess_cagr,
        "information_ratio": versus.information_ratio,
    }
    returns = values[1:] / values[:-1] - 1.0
    sharpe = moments(returns)[0] if len(returns) > 1 else 0.0
    return TrialOutcome(
        params=params,
        figures={k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in figures.items()},
        daily_sharpe=sharpe,
        values=tuple(values.tolist()),
        days=tuple(days),
    )
