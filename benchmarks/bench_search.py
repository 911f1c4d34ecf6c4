"""Time `alphamoe search` per warm trial on a 5-year 5,500-stock synthetic market, beside `alphamoe backtest`.

The market is bench_backtest's (the deterministic synthetic generator, 2016–2025, seed 7, cached under
`.alphamoe/bench-backtest-market`); the search covers its last five years (2021–2025).

- search: one process loads the study market once (panel, fen arrays, bands), runs one trial to warm the
  compiled kernels, then `--trials` Optuna TPE trials in process (batch 2) and `--trials` more on a local
  pool of 2 forked workers; per-trial wall and CPU seconds are reported and extrapolated to 1,000 trials.
- baseline: `alphamoe backtest` run as a command per parameter set (what a search cost before), timed
  `--baseline` times; each pays the interpreter, the imports, the panel load and the market build again.
CPU seconds are printed beside wall seconds: on a shared 2-core machine the wall clock mostly measures the
neighbours.

    python benchmarks/bench_search.py [--data DIR] [--trials 12] [--baseline 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".alphamoe" / "bench-backtest-market"
START, END = date(2021, 1, 4), date(2025, 12, 31)
TARGET_TRIALS = 1000
SPACE = {"breakout_window": {"low": 10, "high": 60, "step": 5}, "max_holding_days": {"low": 5, "high": 30}}


def _child_search(data: Path, trials: int) -> dict[str, Any]:
    from alphamoe.backtest.config import BacktestConfig
    from alphamoe.market.bars import BarStore
    from alphamoe.research.execute import InProcess, LocalPool
    from alphamoe.research.objective import Objective
    from alphamoe.research.space import build_space
    from alphamoe.research.study import SearchSetup, open_study, records, run_studies, storage_url
    from alphamoe.research.trial import load_study_market, run_trial
    from alphamoe.strategy.trend_breakout import TrendBreakoutParams

    t0, c0 = time.perf_counter(), time.process_time()
    study_market = load_study_market(BarStore(data), START, END, "trend_breakout", BacktestConfig())
    load_s = time.perf_counter() - t0
    run_trial(study_market, study_market.full, {})  # warms the compiled kernels (numba's disk cache loads)
    first_s = time.perf_counter() - t0 - load_s
    shape = study_market.market.panel.close.shape
    space = build_space("trend_breakout", TrendBreakoutParams, SPACE)
    setup = SearchSetup(space, Objective(metric="sharpe"), "tpe", trials, seed=1, batch=2)
    with tempfile.TemporaryDirectory() as tmp:
        storage = storage_url(Path(tmp))
        c1, t1 = time.process_time(), time.perf_counter()
        study = open_study(setup, storage, "in-process")
        run_studies([(study, study_market.full)], setup, InProcess(study_market))
        alone_s, alone_cpu = time.perf_counter() - t1, time.process_time() - c1
        digest = [(r.params, r.value) for r in records(study)]
        pool = LocalPool(study_market, 2)
        try:
            pool.run([(study_market.full, {})] * 2)  # each worker's first trial: its kernels load
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t2 = time.perf_counter()
            pooled = open_study(setup, storage, "pool")
            run_studies([(pooled, study_market.full)], setup, pool)
            pool_s = time.perf_counter() - t2
        finally:
            pool.close()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        same = [(r.params, r.value) for r in records(pooled)] == digest
    return {
        "stocks": shape[1],
        "rows": shape[0],
        "sessions": shape[0] - study_market.market.first_row,
        "load_s": load_s,
        "first_trial_s": first_s,
        "trials": trials,
        "in_process_s_per_trial": alone_s / trials,
        "in_process_cpu_s_per_trial": alone_cpu / trials,
        "pool2_s_per_trial": pool_s / trials,
        "pool2_cpu_s_per_trial": (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / trials,
        "pool_same_trials": same,
        "total_cpu_s": time.process_time() - c0,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _baseline(data: Path) -> dict[str, float]:
    command = [
        str(Path(sys.executable).with_name("alphamoe")), "backtest", "--start", START.isoformat(), "--end",
        END.isoformat(), "--data", str(data), "--no-progress", "--params", '{"breakout_window": 35}',
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"alphamoe backtest failed:\n{done.stderr[-2000:]}")
    return {"wall_s": wall, "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--trials", type=int, default=12, help="trials timed in process, and again on the pool")
    parser.add_argument("--baseline", type=int, default=1, help="`alphamoe backtest` runs timed")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child_search(args.data, args.trials)))
        return
    if not (args.data / "bars").is_dir():
        raise SystemExit(f"no market at {args.data}: run benchmarks/bench_backtest.py once (it generates it)")
    child = [sys.executable, __file__, "--child", "--data", str(args.data), "--trials", str(args.trials)]
    done = subprocess.run(child, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"search child failed:\n{done.stderr[-3000:]}")
    ours = json.loads(done.stdout.strip().splitlines()[-1])
    base = [_baseline(args.data) for _ in range(args.baseline)]
    base_wall = sum(b["wall_s"] for b in base) / len(base)
    base_cpu = sum(b["cpu_s"] for b in base) / len(base)

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"search, {ours['stocks']:,} stocks × {ours['sessions']:,} sessions (5 years), 2-core machine")
    for col in ("way", "s per trial (wall)", "CPU s per trial", f"{TARGET_TRIALS:,} trials (wall, extrapolated)"):
        table.add_column(col, justify="left" if col == "way" else "right")
    rows = [
        ("`alphamoe backtest` per trial (baseline)", base_wall, base_cpu),
        ("search, 1 process, warm", ours["in_process_s_per_trial"], ours["in_process_cpu_s_per_trial"]),
        ("search, local pool of 2, warm", ours["pool2_s_per_trial"], ours["pool2_cpu_s_per_trial"]),
    ]
    for name, wall, cpu in rows:
        table.add_row(name, f"{wall:.2f}", f"{cpu:.2f}", f"{wall * TARGET_TRIALS / 60:.1f} min")
    table.caption = (
        f"study market loaded once: {ours['load_s']:.1f} s, first trial {ours['first_trial_s']:.1f} s; "
        f"{ours['trials']} trials timed each way; pool gives the same trials: {ours['pool_same_trials']}; "
        f"peak {ours['peak_mb']:,.0f} MB"
    )
    Console().print(table)
    out = REPO / "benchmarks" / "results" / "search.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"date": str(date.today()), "search": ours, "baseline": base, "measured": time.strftime("%Y-%m-%d %H:%M")}
    out.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
