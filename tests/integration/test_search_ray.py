"""Trials on a local Ray instance (the market put in its object store once) equal the same trials in process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from alphamoe.backtest.config import BacktestConfig
from alphamoe.market.bars import BarStore
from alphamoe.research.execute import InProcess, RayActors
from alphamoe.research.objective import Objective
from alphamoe.research.space import build_space
from alphamoe.research.study import SearchSetup, open_study, records, run_studies, storage_url
from alphamoe.research.trial import StudyMarket, load_study_market
from alphamoe.research.walkforward import walk_forward
from alphamoe.strategy.trend_breakout import TrendBreakoutParams

ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.integration, pytest.mark.slow]

START, END = date(2024, 6, 3), date(2025, 3, 31)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def study_market(market_dir: Path) -> StudyMarket:
    store = BarStore(market_dir)
    universe = store.panel(until=END, lookback=1).symbols[:150]
    return load_study_market(
        store, START, END, "trend_breakout", BacktestConfig(warmup=60, stats_lookback=60), universe
    )


def test_search_when_run_on_ray_then_the_same_trials_and_walk_forward_as_in_process(
    local_ray: Any, study_market: StudyMarket, tmp_path: Path
) -> None:
    space = build_space("trend_breakout", TrendBreakoutParams, {"breakout_window": {"low": 10, "high": 40, "step": 5}})
    setup = SearchSetup(space, Objective(metric="sharpe"), "tpe", trials=4, seed=5, batch=2)
    storage = storage_url(tmp_path)
    actors = RayActors(study_market, "local")  # joins the instance the fixture started
    try:
        assert actors.workers == 2
        on_ray = open_study(setup, storage, "ray")
        run_studies([(on_ray, study_market.full)], setup, actors)
        wf_ray = walk_forward(study_market, setup, actors, storage, "wf-ray", in_sample=120, out_of_sample=60)
    finally:
        actors.close()
    local = InProcess(study_market)
    here = open_study(setup, storage, "here")
    run_studies([(here, study_market.full)], setup, local)
    wf_here = walk_forward(study_market, setup, local, storage, "wf-here", in_sample=120, out_of_sample=60)
    assert [(r.params, r.value, r.figures) for r in records(on_ray)] == [
        (r.params, r.value, r.figures) for r in records(here)
    ]
    assert wf_ray.values == wf_here.values and wf_ray.deflated == wf_here.deflated
