"""The search: trials share one loaded market, a rerun resumes the study, any executor gives the same trials,
and an objective no trial meets is an error, never a silent best."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import prepare, simulate
from alphamoe.backtest.strategies import build_strategy
from alphamoe.errors import ConfigurationError
from alphamoe.market.bars import BarStore
from alphamoe.research.execute import InProcess, LocalPool
from alphamoe.research.objective import Objective
from alphamoe.research.space import build_space
from alphamoe.research.study import SearchSetup, best, open_study, records, run_studies, storage_url
from alphamoe.research.trial import StudyMarket, load_study_market, run_trial
from alphamoe.strategy.trend_breakout import TrendBreakoutParams

START, END = date(2024, 6, 3), date(2025, 3, 31)
CONFIG = BacktestConfig(warmup=60, stats_lookback=60)
SPACE = {"breakout_window": {"low": 10, "high": 40, "step": 5}, "max_holding_days": {"low": 5, "high": 20}}


@pytest.fixture(scope="module")
def study_market(market_dir: Path) -> StudyMarket:
    store = BarStore(market_dir)
    universe = store.panel(until=END, lookback=1).symbols[:200]
    return load_study_market(store, START, END, "trend_breakout", CONFIG, universe)


def _setup(trials: int, objective: Objective | None = None) -> SearchSetup:
    space = build_space("trend_breakout", TrendBreakoutParams, SPACE)
    return SearchSetup(space, objective or Objective(metric="sharpe"), "tpe", trials, seed=3, batch=3)


def test_trial_when_run_on_the_shared_market_then_equals_a_separate_backtest(
    market_dir: Path, study_market: StudyMarket
) -> None:
    params = {"breakout_window": 25, "max_holding_days": 7}
    got = run_trial(study_market, study_market.full, params)
    store = BarStore(market_dir)
    alone = simulate(
        prepare(store, START, END, build_strategy("trend_breakout", params), CONFIG, study_market.market.panel.symbols)
    )
    assert got.values[1:] == tuple(p.equity for p in alone.equity)
    assert got.figures["sharpe"] == alone.metrics.sharpe and got.figures["round_trips"] == alone.metrics.round_trips


def test_search_when_rerun_then_the_study_continues_from_its_file(study_market: StudyMarket, tmp_path: Path) -> None:
    storage = storage_url(tmp_path / "runs")
    setup = _setup(3)
    study = open_study(setup, storage, "s")
    assert (tmp_path / "runs" / "search" / "studies.log").is_file()
    run_studies([(study, study_market.full)], setup, InProcess(study_market))
    first = records(study)
    assert len(first) == 3
    longer = _setup(5)
    resumed = open_study(longer, storage, "s")  # what a rerun of the same search opens
    run_studies([(resumed, study_market.full)], longer, InProcess(study_market))
    recs = records(resumed)
    assert [r.number for r in recs] == list(range(5)) and recs[:3] == first  # 2 new trials, the 3 kept


def test_search_when_run_on_a_process_pool_then_the_same_trials_as_in_process(
    study_market: StudyMarket, tmp_path: Path
) -> None:
    storage = storage_url(tmp_path)
    setup = _setup(4)
    alone = open_study(setup, storage, "alone")
    run_studies([(alone, study_market.full)], setup, InProcess(study_market))
    pool = LocalPool(study_market, 2)
    try:
        pooled = open_study(setup, storage, "pooled")
        run_studies([(pooled, study_market.full)], setup, pool)
    finally:
        pool.close()
    assert [(r.params, r.value, r.figures) for r in records(pooled)] == [
        (r.params, r.value, r.figures) for r in records(alone)
    ]
    chosen = best(records(alone), setup.objective)
    assert chosen.value == max(r.value for r in records(alone) if r.value is not None)


def test_search_when_no_trial_meets_the_objective_then_error_says_what_was_seen(
    study_market: StudyMarket, tmp_path: Path
) -> None:
    setup = _setup(3, Objective(metric="sharpe", max_drawdown=0.0001, min_trades=100_000))
    study = open_study(setup, storage_url(tmp_path), "impossible")
    run_studies([(study, study_market.full)], setup, InProcess(study_market))
    recs = records(study)
    assert recs and not any(r.feasible for r in recs)
    with pytest.raises(ConfigurationError, match="no trial satisfies the objective") as caught:
        best(recs, setup.objective)
    assert "lowest max drawdown" in str(caught.value) and "most round trips" in str(caught.value)


def test_search_when_grid_then_every_point_once_and_capped_at_the_grid(
    study_market: StudyMarket, tmp_path: Path
) -> None:
    space = build_space("trend_breakout", TrendBreakoutParams, {"breakout_window": {"choices": [15, 30]}})
    setup = SearchSetup(space, Objective(), "grid", trials=50, seed=0, batch=4)
    study = open_study(setup, storage_url(tmp_path), "grid")
    run_studies([(study, study_market.full)], setup, InProcess(study_market))
    assert sorted(r.params["breakout_window"] for r in records(study)) == [15, 30]
