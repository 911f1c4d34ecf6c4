"""Time the Kelly refresh windows of a bulk backtest: TrendBreakout's fused `window_trades` (each stock run once
on its raw column and once per first ex-rights day, each window run alone only until it meets that run)
against the definition, every window run alone (`Strategy.window_trades`: `window_panel` + the strategy +
`closed_trades` per window), in the same process; the two must give the same trades.

The market is `bench_backtest.py`'s synthetic 10-year, 5,500-stock market (generated once if missing); the
windows are the backtest's (`stats_lookback` sessions ending at each `stats_refresh` row from the first
decision row on, as `backtest.kelly.kelly_schedule` asks for them). CPU seconds (`time.process_time`, every
thread) are printed beside wall seconds: on a shared machine the wall clock mostly measures the neighbours.
Results go to benchmarks/results/kelly_windows.json.

    python benchmarks/bench_kelly_windows.py [--years 10] [--repeat 5] [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from bench_backtest import DEFAULT_DATA, END, REPO, SEED, SYMBOLS

from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.universe import load_range
from alphamoe.market.bars import BarStore
from alphamoe.strategy.base import Strategy
from alphamoe.strategy.stats import DEFAULT_FEE_RATE, ClosedTrades, kelly_history, refresh_rows
from alphamoe.strategy.trend_breakout import TrendBreakout

FIELDS = ("column", "entry_row", "exit_row", "ret")


def _timed(fn: Callable[[], list[ClosedTrades]], repeat: int) -> tuple[dict[str, float], list[ClosedTrades]]:
    walls, cpus, out = [], [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus), "runs": repeat}, out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--years", type=int, default=10, help="the backtest span, ending 2025-12-31")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of the fused pass (median)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the window-by-window definition")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "kelly_windows.json")
    args = parser.parse_args(argv)
    if not (args.data / "bars").is_dir():
        from alphamoe.data.synthetic import write_market

        print(f"generating the 10-year {SYMBOLS:,}-stock market in {args.data} (once, ~1 min) …", flush=True)
        write_market(args.data, symbols=SYMBOLS, start=date(2016, 1, 4), end=END, seed=SEED)
    config, strategy = BacktestConfig(warmup=0, route="none"), TrendBreakout()
    start = date(END.year - args.years + 1, 1, 4)
    history = kelly_history(config.stats_lookback, config.stats_refresh)
    panel, first_row = load_range(BarStore(args.data), start, END, history)
    rows = sorted({int(r) for r in refresh_rows(panel.dates, config.stats_refresh)[max(first_row - 1, 0) :]})
    lookback = config.stats_lookback

    def fused() -> list[ClosedTrades]:
        return strategy.window_trades(panel, rows, lookback=lookback, fee_rate=DEFAULT_FEE_RATE)

    def alone() -> list[ClosedTrades]:
        return Strategy.window_trades(strategy, panel, rows, lookback=lookback, fee_rate=DEFAULT_FEE_RATE)

    fused()  # numba's on-disk cache loaded, threads started
    result: dict[str, Any] = {
        "market": f"{panel.close.shape[1]:,} stocks × {panel.close.shape[0]:,} sessions ({start} … {END})",
        "windows": len(rows),
        "lookback": lookback,
    }
    result["fused"], got = _timed(fused, args.repeat)
    result["trades"] = sum(len(t.ret) for t in got)
    if not args.no_baseline:
        result["alone"], defined = _timed(alone, 1)
        pairs = zip(got, defined, strict=True)
        result["same_trades"] = all(np.array_equal(getattr(a, f), getattr(b, f)) for a, b in pairs for f in FIELDS)
        result["cpu_speedup"] = result["alone"]["cpu_s"] / result["fused"]["cpu_s"]
    print(json.dumps(result, indent=1, ensure_ascii=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return result


if __name__ == "__main__":
    main()
