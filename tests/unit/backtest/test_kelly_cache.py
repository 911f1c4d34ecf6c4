"""The Kelly refresh cache (issue 15, speed): a rerun reads each refresh's trades instead of running the
strategy again, with the same p and b bit for bit, and a change of data, columns, strategy parameters or
span keys a different entry."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from support.scan_market import make_market

from alphamoe.backtest.kelly import KellySchedule, kelly_schedule
from alphamoe.backtest.kelly_cache import KellyCache, code_digest, code_files, source_digest, store_fingerprint
from alphamoe.backtest.universe import restrict
from alphamoe.market.bars import BarStore, Panel
from alphamoe.strategy.base import Strategy
from alphamoe.strategy.stats import ClosedTrades
from alphamoe.strategy.trend_breakout import TrendBreakout, TrendBreakoutParams

LOOKBACK, REFRESH = 60, 10


class _Counting(TrendBreakout):
    """TrendBreakout that counts the windows it runs: a refresh read from the cache runs nothing."""

    runs = 0

    def window_trades(self, panel: Panel, rows: Sequence[int], *, lookback: int, fee_rate: float) -> list[ClosedTrades]:
        type(self).runs += len(rows)
        return super().window_trades(panel, rows, lookback=lookback, fee_rate=fee_rate)


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
    assert (first.computed, again.cached, again.computed) == (len(plain.rows), len(plain.rows), 0)
    assert (cache.hits, cache.misses, later.computed) == (len(plain.rows) + len(later.rows), len(plain.rows), 0)
    assert len({float(plain.at(t).p_win.sum()) for t in rows}) > 2  # refreshes that differ: not vacuous
    assert _same(plain, first, rows) and _same(plain, again, rows) and _same(plain, later, range(127, rows.stop))


def test_kelly_schedule_when_part_cached_then_only_missing_windows_run(tmp_path: Path) -> None:
    panel = make_market()
    cache = KellyCache(tmp_path, "fingerprint")
    shorter = _schedule(restrict(panel, panel.symbols), TrendBreakout(), cache, first=200)  # the later windows
    _Counting.runs = 0
    whole = _schedule(panel, _Counting(), cache)
    assert shorter.computed > 0 and whole.cached == shorter.computed
    assert _Counting.runs == whole.computed == len(whole.rows) - shorter.computed
    assert _same(_schedule(panel, TrendBreakout(), None), whole, range(120, panel.close.shape[0]))


def test_kelly_cache_when_over_its_size_then_least_recently_used_entries_go(tmp_path: Path) -> None:
    panel = make_market()
    filled = KellyCache(tmp_path, "fingerprint", max_bytes=10**9)
    schedule = _schedule(panel, TrendBreakout(), filled)
    entries = sorted(tmp_path.glob("*/*.npz"), key=lambda p: p.name)
    assert len(entries) == len(schedule.rows)
    for age, path in enumerate(entries):  # oldest first, a second apart
        os.utime(path, ns=(10**18 + age * 10**9, 10**18 + age * 10**9))
    newest = entries[-3:]
    small = KellyCache(tmp_path, "fingerprint", max_bytes=sum(p.stat().st_size for p in newest))
    assert small.prune() == len(entries) - 3
    assert sorted(tmp_path.glob("*/*.npz"), key=lambda p: p.name) == sorted(newest, key=lambda p: p.name)


def test_code_files_when_listed_then_cover_every_module_that_computes_trades() -> None:
    import alphamoe.backtest.universe as universe
    import alphamoe.jit as jit
    import alphamoe.market.bars as bars
    import alphamoe.market.boards as boards
    import alphamoe.strategy.kernels as kernels
    import alphamoe.strategy.stats as stats

    files = code_files()
    # the panel's columns (universe), the numba settings and the boards were outside the old digest
    for module in (universe, jit, boards, bars, kernels, stats):
        assert Path(str(module.__file__)) in files, module.__name__


def test_source_digest_when_a_file_changes_then_it_changes(tmp_path: Path) -> None:
    files = [tmp_path / "kernels.py", tmp_path / "stats.py"]
    for path in files:
        path.write_text("x = 1\n")
    before = source_digest(files)
    files[1].write_text("x = 2\n")
    assert source_digest(files) != before and code_digest() == source_digest(code_files())


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
    (copy / "runs" / "cache").mkdir(parents=True, exist_ok=True)  # the default runs folder lies under the data root
    (copy / "runs" / "cache" / "entry.npz").write_bytes(b"x")
    assert before is not None and store_fingerprint(BarStore(copy)) == before
    year = next((copy / "bars").glob("*.parquet"))
    year.write_bytes(year.read_bytes() + b" ")
    assert store_fingerprint(BarStore(copy)) != before
