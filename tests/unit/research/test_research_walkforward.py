"""Walk-forward: windows over one market, an empty in-sample window refused, the out-of-sample curve stitched."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.market import BacktestMarket
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore
from alphamoe.research import trial
from alphamoe.research.execute import InProcess
from alphamoe.research.objective import Objective
from alphamoe.research.report import write_walkforward_report
from alphamoe.research.space import build_space
from alphamoe.research.study import SearchSetup, storage_url
from alphamoe.research.trial import SPAN_CACHE, Span, StudyMarket, load_study_market, run_trial
from alphamoe.research.walkforward import walk_forward, windows
from alphamoe.strategy.trend_breakout import TrendBreakoutParams

START, END = date(2024, 6, 3), date(2025, 3, 31)


@pytest.fixture(scope="module")
def study_market(market_dir: Path) -> StudyMarket:
    store = BarStore(market_dir)
    universe = store.panel(until=END, lookback=1).symbols[:150]
    config = BacktestConfig(warmup=60, stats_lookback=60)
    return load_study_market(store, START, END, "trend_breakout", config, universe)


def test_windows_when_rolling_or_anchored_then_oos_follows_is_and_tiles_the_range(study_market: StudyMarket) -> None:
    first, end = study_market.market.first_row, study_market.market.panel.close.shape[0]
    rolling = windows(study_market, 100, 40)
    assert rolling[0].in_sample.first == first and all(w.in_sample.hi - w.in_sample.first == 100 for w in rolling)
    assert [w.out_of_sample.first for w in rolling] == [w.in_sample.hi for w in rolling]
    assert all(a.out_of_sample.hi == b.out_of_sample.first for a, b in itertools.pairwise(rolling))
    assert rolling[-1].out_of_sample.hi == end
    anchored = windows(study_market, 100, 40, anchored=True)
    assert all(w.in_sample.first == first for w in anchored)
    assert [w.out_of_sample for w in anchored] == [w.out_of_sample for w in rolling]


@pytest.mark.parametrize(
    ("is_len", "oos_len", "expected"),
    [(0, 40, "empty window"), (150, 0, "empty window"), (400, 40, "the in-sample window would be empty")],
)
def test_windows_when_in_sample_cannot_fit_then_clear_error(
    study_market: StudyMarket, is_len: int, oos_len: int, expected: str
) -> None:
    with pytest.raises(DataError, match=expected):
        windows(study_market, is_len, oos_len)


def test_walk_forward_when_run_then_result_is_the_oos_segments_chained(
    study_market: StudyMarket, tmp_path: Path
) -> None:
    space = build_space("trend_breakout", TrendBreakoutParams, {"breakout_window": {"choices": [10, 30]}})
    setup = SearchSetup(space, Objective(metric="sharpe"), "grid", trials=2, batch=2)
    wf = walk_forward(
        study_market, setup, InProcess(study_market), storage_url(tmp_path), "wf", in_sample=120, out_of_sample=60
    )
    assert len(wf.windows) == 2 and wf.trials == 4 and wf.deflated.trials == 4
    for w in wf.windows:  # each window's out-of-sample run is the chosen params on that span alone
        again = run_trial(study_market, w.window.out_of_sample, w.chosen.params)
        assert again.values == w.out_of_sample.values
    seg = [np.asarray(w.out_of_sample.values) for w in wf.windows]
    expected = float(study_market.config.initial_cash) * np.prod([s[-1] / s[0] for s in seg])
    assert wf.values[-1] == pytest.approx(expected, rel=1e-12)
    assert len(wf.days) == sum(len(s) - 1 for s in seg) and wf.days == sorted(wf.days)
    page = write_walkforward_report(tmp_path / "wf.html", "wf", wf, setup.objective).read_text(encoding="utf-8")
    assert "out-of-sample only" in page and "Deflated Sharpe ratio" in page and "<b>4</b> trials" in page


def test_walk_forward_when_more_windows_than_a_worker_keeps_then_each_span_is_sliced_once(
    study_market: StudyMarket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Windows advance in groups of SPAN_CACHE studies: a window's span stays cached over all its rounds, where
    # advancing every window each round evicted (and sliced again) every span of a round-robin over > 6 spans.
    fresh = StudyMarket(
        study_market.market, study_market.config, study_market.industries, study_market.actions,
        study_market.strategy, study_market.history, study_market.token,
    )  # fmt: skip
    sliced: list[Span] = []
    real = trial.slice_market

    def counted(market: BacktestMarket, span: Span) -> BacktestMarket:
        sliced.append(span)
        return real(market, span)

    monkeypatch.setattr(trial, "slice_market", counted)
    space = build_space("trend_breakout", TrendBreakoutParams, {"breakout_window": {"low": 10, "high": 30}})
    setup = SearchSetup(space, Objective(metric="sharpe"), "tpe", trials=4, batch=2)  # 2 rounds a window
    wins = windows(fresh, 30, 20)
    assert len(wins) > SPAN_CACHE
    walk_forward(fresh, setup, InProcess(fresh), storage_url(tmp_path), "wf", in_sample=30, out_of_sample=20)
    spans = {w.in_sample for w in wins} | {w.out_of_sample for w in wins}
    assert sorted(sliced, key=repr) == sorted(spans - {fresh.full}, key=repr)
