"""The Kelly refresh cache (issue 15, speed): a rerun reads each refresh's trades instead of running the
strategy again, with the same p and b bit for bit, and a change of data, columns, strategy parameters or
span keys a different entry."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from support.scan_market import make_market

from alphamoe.backtest.kelly import KellySchedule, kelly_schedule
from alphamoe.backtest.kelly_cache import KellyCache, store_fingerprint
from alphamoe.backtest.universe import restrict
from alphamoe.market.bars import BarStore, Panel
from alphamoe.strategy.base import LatestSignals, Strategy
from alphamoe.strategy.trend_breakout import TrendBreakout, TrendBreakoutParams

LOOKBACK, REFRESH = 60, 10


class _Counting(TrendBreakout):
    """TrendBreakout that counts its runs: a refresh read from the cache runs nothing."""

    runs = 0

    def latest(self, panel: Panel) -> LatestSignals:
        type(self).runs += 1
        return super().latest(panel)


def _schedule(panel: Panel, strategy: Strategy, cache: KellyCache | None, first: int = 120) -> KellySchedule:
    return kelly_schedule(
        panel, strategy, first_decision_row=first, lookback=LOOKBACK, refresh=REFRESH, prior_strength=20, cache=cache
    )


def _same(a: KellySchedule, b: KellySchedule, rows: range) -> bool:
    return all(
        np.array_equal(a.at(t).p_win, b.at(t).p_win)
        and np.array_equal(a.at(t).payoff, b.at(t).payoff)
        and np.array_equal(a.at(t).n_trades, b.at(t).n_trades)
        for t in rows
    )


def test_kelly_schedule_when_cached_then_rerun_runs_no_strategy_and_same_p_b(tmp_path: Path) -> None:
    panel = make_market()
    rows = range(120, panel.close.shape[0])
    plain = _schedule(panel, TrendBreakout(), None)
    cache = KellyCache(tmp_path, "fingerprint")
    _Counting.runs = 0
    first = _schedule(panel, _Counting(), cache)
    computed = _Counting.runs
    again = _schedule(panel, _Counting(), cache)
    later = _schedule(panel, _Counting(), cache, first=127)  # another span: the same calendar-anchored windows
    assert computed == len(plain.rows) and _Counting.runs == computed  # the reruns ran the strategy 0 times
    assert len({float(plain.at(t).p_win.sum()) for t in rows}) > 2  # refreshes that differ: not vacuous
    assert _same(plain, first, rows) and _same(plain, again, rows) and _same(plain, later, range(127, rows.stop))


def test_kelly_cache_when_params_columns_or_data_differ_then_other_keys(tmp_path: Path) -> None:
    panel, strategy = make_market(), TrendBreakout()
    cache = KellyCache(tmp_path, "fingerprint")
    key = cache.key(panel, 61, 120, strategy, 0.0005)
    other = TrendBreakout(TrendBreakoutParams(breakout_window=30))
    fewer = restrict(panel, panel.symbols[:-1])
    assert cache.key(panel, 61, 120, strategy, 0.0005) == key
    assert cache.key(panel, 61, 120, other, 0.0005) != key
    assert cache.key(fewer, 61, 120, strategy, 0.0005) != key
    assert cache.key(panel, 62, 121, strategy, 0.0005) != key
    assert cache.key(panel, 61, 120, strategy, 0.001) != key
    assert KellyCache(tmp_path, "changed").key(panel, 61, 120, strategy, 0.0005) != key


def test_store_fingerprint_when_a_store_file_changes_then_it_changes_not_for_runs(
    market_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "store"
    shutil.copytree(market_dir, copy)
    before = store_fingerprint(BarStore(copy))
    (copy / "runs" / "cache").mkdir(parents=True)  # the default runs folder lies under the data root
    (copy / "runs" / "cache" / "entry.npz").write_bytes(b"x")
    assert before is not None and store_fingerprint(BarStore(copy)) == before
    year = next((copy / "bars").glob("*.parquet"))
    year.write_bytes(year.read_bytes() + b" ")
    assert store_fingerprint(BarStore(copy)) != before
