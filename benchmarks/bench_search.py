"""Time research at scale on the 5,500-stock synthetic market: a search, a walk-forward, and Ray's speed-up.

The market is bench_backtest's (the deterministic synthetic generator, 2016–2025, seed 7, cached under
`.alphamoe/bench-backtest-market`). Every mode loads the study market once in a child process, runs one
trial per process to warm the compiled kernels (numba's disk cache), then times the real run with a progress
bar; CPU seconds are printed beside wall seconds (on a shared 2-core machine the wall clock mostly measures the
neighbours). A figure for more trials than were run is printed as an extrapolation and labelled so.

- `search` (5 years, 2021–2025): `--split` trials in this process, each one's CPU split into slicing its
  span, the backtest itself (`run_trial`) and the study around it (Optuna); the study layer alone over
  `--layer` trials that replay one real outcome, on the journal storage the search uses and on Optuna's
  SQLite storage (the previous one); then `--trials` trials on a local pool of `--workers` forked workers;
  baseline: `alphamoe backtest` run as a command `--baseline` times (what a trial cost before the search).
- `walk-forward` (10 years, 2016–2025): `--windows` rolling windows of `--in-sample` sessions, each searched
  with `--trials` trials on the local pool, its best traded out of sample; the issue's run is
  `--windows 12 --trials 200`.
- `ray` (5 years): the same `--trials` trials on the local pool, on 1 and on 2 local Ray workers (the market
  `ray.put` once); the three must give the same trials (asserted); the speed-up over 1 Ray worker.

    python benchmarks/bench_search.py search [--trials 24] [--split 6] [--layer 200] [--baseline 1]
    python benchmarks/bench_search.py walk-forward [--windows 12] [--trials 3]
    python benchmarks/bench_search.py ray [--trials 12]

Results: benchmarks/results/search.json, one key per mode (a mode's run replaces only its key).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".alphamoe" / "bench-backtest-market"
OUT = REPO / "benchmarks" / "results" / "search.json"
SEARCH_SPAN = (date(2021, 1, 4), date(2025, 12, 31))
WALK_SPAN = (date(2016, 1, 4), date(2025, 12, 31))
SEARCH_TARGET, WALK_TARGET = 1000, 200  # the trial counts
SPACE = {"breakout_window": {"low": 10, "high": 60, "step": 5}, "max_holding_days": {"low": 5, "high": 29}}
STRATEGY = "trend_breakout"


def _market(data: Path, span: tuple[date, date]) -> Any:
    from alphamoe.backtest.config import BacktestConfig
    from alphamoe.market.bars import BarStore
    from alphamoe.research.trial import load_study_market

    return load_study_market(BarStore(data), span[0], span[1], STRATEGY, BacktestConfig())


def _setup(trials: int, batch: int) -> Any:
    from alphamoe.research.objective import Objective
    from alphamoe.research.space import build_space
    from alphamoe.research.study import SearchSetup
    from alphamoe.strategy.trend_breakout import TrendBreakoutParams

    space = build_space(STRATEGY, TrendBreakoutParams, SPACE)
    return SearchSetup(space, Objective(metric="sharpe"), "tpe", trials, seed=1, batch=batch)


@contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[int, int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, _total: bar.update(task, completed=done)


def _digest(study: Any) -> list[tuple[Any, ...]]:
    from alphamoe.research.study import records

    return [(r.params, r.value, r.figures) for r in records(study)]


def _search(study: Any, span: Any, setup: Any, progress: Callable[[int, int], None], executor: Any) -> None:
    from alphamoe.research.study import run_studies

    run_studies([(study, span)], setup, executor, progress=progress)


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _pool_run(study_market: Any, workers: int, warm: Any, run: Callable[[Any], None]) -> dict[str, float]:
    """Run `run(pool)` on a local pool warmed on span `warm`; wall, this process's CPU and the workers' CPU."""
    from alphamoe.research.execute import LocalPool

    pool = LocalPool(study_market, workers)
    try:
        pool.run([(warm, {})] * workers)  # each worker's first trial: its kernels load
        children, c0, t0 = _children_cpu(), time.process_time(), time.perf_counter()
        run(pool)
        wall, driver = time.perf_counter() - t0, time.process_time() - c0
    finally:
        pool.close()
    # the workers' CPU counts once they are reaped (at close), warm-up trials included: subtract those below
    return {"wall_s": wall, "driver_cpu_s": driver, "workers_cpu_s": _children_cpu() - children}


class _Split:
    """Trials in this process, the CPU of slicing each span and of the trial itself kept apart."""

    workers = 1

    def __init__(self, study_market: Any) -> None:
        self.study_market = study_market
        self.span_s = self.trial_s = 0.0

    def run(self, tasks: Sequence[Any]) -> list[Any]:
        from alphamoe.research.trial import run_trial

        out = []
        for span, params in tasks:
            c0 = time.process_time()
            self.study_market.span_market(span)  # cached by the study market: run_trial's own call finds it
            c1 = time.process_time()
            out.append(run_trial(self.study_market, span, params))
            self.span_s += c1 - c0
            self.trial_s += time.process_time() - c1
        return out

    def close(self) -> None:
        return None


class _Replay:
    """An executor that returns one recorded outcome for every task: the study layer's cost alone."""

    workers = 1

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome

    def run(self, tasks: Sequence[Any]) -> list[Any]:
        return [dataclasses.replace(self.outcome, params=params) for _, params in tasks]

    def close(self) -> None:
        return None


def _study_layer(outcome: Any, span: Any, trials: int, folder: Path) -> dict[str, float]:
    """CPU and wall per trial of asking, telling and storing `trials` trials, journal vs SQLite storage."""
    import optuna

    from alphamoe.research.study import open_study, run_studies, storage_url

    setup = _setup(trials, 2)
    out = {}
    for name in ("journal", "sqlite"):
        if name == "journal":
            study = open_study(setup, storage_url(folder), "layer")
        else:
            study = optuna.create_study(
                study_name="layer", storage=f"sqlite:///{folder / 'layer.db'}", direction="maximize",
                sampler=optuna.samplers.TPESampler(seed=setup.seed),
            )  # fmt: skip
        c0, t0 = time.process_time(), time.perf_counter()
        run_studies([(study, span)], setup, _Replay(outcome))
        out[f"{name}_cpu_s_per_trial"] = (time.process_time() - c0) / trials
        out[f"{name}_s_per_trial"] = (time.perf_counter() - t0) / trials
    return out


def _child_search(args: argparse.Namespace) -> dict[str, Any]:
    from alphamoe.research.study import open_study, run_studies, storage_url
    from alphamoe.research.trial import run_trial

    t0, c0 = time.perf_counter(), time.process_time()
    study_market = _market(args.data, SEARCH_SPAN)
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    t1 = time.perf_counter()
    warm = run_trial(study_market, study_market.full, {})  # warms the compiled kernels
    first_s = time.perf_counter() - t1
    shape = study_market.market.panel.close.shape
    with tempfile.TemporaryDirectory() as tmp:
        storage = storage_url(Path(tmp))
        split = _Split(study_market)
        c1, t1 = time.process_time(), time.perf_counter()
        with _progress("in process (CPU split)", args.split) as progress:
            run_studies([(open_study(_setup(args.split, 2), storage, "split"), study_market.full)],
                        _setup(args.split, 2), split, progress=progress)  # fmt: skip
        split_cpu, split_wall = time.process_time() - c1, time.perf_counter() - t1
        layer = _study_layer(warm, study_market.full, args.layer, Path(tmp) / "layer")
        setup = _setup(args.trials, args.batch)
        pooled = open_study(setup, storage, "pool")
        with _progress(f"local pool of {args.workers}", args.trials) as progress:
            search = functools.partial(_search, pooled, study_market.full, setup, progress)
            pool = _pool_run(study_market, args.workers, study_market.full, search)
        trials = len(_digest(pooled))
    warm_cpu = split.trial_s / args.split  # a warm trial's CPU, used to take the pool's warm-up trials off
    workers_cpu = pool["workers_cpu_s"] - args.workers * warm_cpu
    return {
        "stocks": shape[1],
        "rows": shape[0],
        "sessions": shape[0] - study_market.market.first_row,
        "load_s": load_s,
        "load_cpu_s": load_cpu,
        "first_trial_s": first_s,
        "split_trials": args.split,
        "split_wall_s_per_trial": split_wall / args.split,
        "split_cpu_s_per_trial": split_cpu / args.split,
        "backtest_cpu_s_per_trial": split.trial_s / args.split,
        "span_cpu_s_per_trial": split.span_s / args.split,
        "study_cpu_s_per_trial": (split_cpu - split.trial_s - split.span_s) / args.split,
        "layer_trials": args.layer,
        **{f"layer_{k}": v for k, v in layer.items()},
        "workers": args.workers,
        "batch": args.batch,
        "trials": trials,
        "pool_wall_s": pool["wall_s"],
        "pool_s_per_trial": pool["wall_s"] / trials,
        "pool_cpu_s_per_trial": (pool["driver_cpu_s"] + workers_cpu) / trials,
        "pool_driver_cpu_s_per_trial": pool["driver_cpu_s"] / trials,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child_walk_forward(args: argparse.Namespace) -> dict[str, Any]:
    from alphamoe.research.study import storage_url
    from alphamoe.research.walkforward import walk_forward, windows

    t0, c0 = time.perf_counter(), time.process_time()
    study_market = _market(args.data, WALK_SPAN)
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    sessions = study_market.market.panel.close.shape[0] - study_market.market.first_row
    oos = math.ceil((sessions - args.in_sample) / args.windows)
    count = len(windows(study_market, args.in_sample, oos))
    setup = _setup(args.trials, args.batch)
    result: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp, _progress("walk-forward trials", count * args.trials) as progress:
        warm = windows(study_market, args.in_sample, oos)[0].out_of_sample
        pool = _pool_run(study_market, args.workers, warm, lambda p: result.append(walk_forward(
            study_market, setup, p, storage_url(Path(tmp)), "bench", in_sample=args.in_sample,
            out_of_sample=oos, progress=progress)))  # fmt: skip
    wf = result[0]
    runs = wf.trials + count  # in-sample trials, then one out-of-sample run per window
    return {
        "stocks": study_market.market.panel.close.shape[1],
        "sessions": sessions,
        "load_s": load_s,
        "load_cpu_s": load_cpu,
        "windows": count,
        "in_sample": args.in_sample,
        "out_of_sample": oos,
        "trials_per_window": args.trials,
        "batch": args.batch,
        "workers": args.workers,
        "trials": wf.trials,
        "wall_s": pool["wall_s"],
        "cpu_s": pool["driver_cpu_s"] + pool["workers_cpu_s"],  # each worker's warm-up trial (one OOS window) too
        "s_per_run": pool["wall_s"] / runs,
        "stitched_sessions": len(wf.days),
        "deflated_sharpe": wf.deflated.probability,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child_ray(args: argparse.Namespace) -> dict[str, Any]:
    import ray

    from alphamoe.research.execute import RayActors
    from alphamoe.research.study import open_study, run_studies, storage_url

    study_market = _market(args.data, SEARCH_SPAN)
    setup = _setup(args.trials, args.batch)
    ways: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        storage = storage_url(Path(tmp))
        pooled = open_study(setup, storage, "pool")
        with _progress(f"local pool of {args.workers}", args.trials) as progress:
            search = functools.partial(_search, pooled, study_market.full, setup, progress)
            pool = _pool_run(study_market, args.workers, study_market.full, search)
        ways[f"local pool of {args.workers}"] = {**pool, "trials": _digest(pooled)}  # workers' CPU: warm-up too
        ray.init(num_cpus=args.workers, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
        try:
            for workers in (1, args.workers):
                t0 = time.perf_counter()
                actors = RayActors(study_market, "local", workers)
                put_s = time.perf_counter() - t0
                try:
                    actors.run([(study_market.full, {})] * workers)  # each actor's first trial: kernels load
                    cpu0, c0, t0 = actors.worker_cpu(), time.process_time(), time.perf_counter()
                    on_ray = open_study(setup, storage, f"ray-{workers}")
                    with _progress(f"Ray, {workers} worker(s)", args.trials) as progress:
                        run_studies([(on_ray, study_market.full)], setup, actors, progress=progress)
                    wall, driver = time.perf_counter() - t0, time.process_time() - c0
                    workers_cpu = actors.worker_cpu() - cpu0
                finally:
                    actors.close()
                ways[f"Ray, {workers} worker(s)"] = {
                    "wall_s": wall, "driver_cpu_s": driver, "workers_cpu_s": workers_cpu, "start_s": put_s,
                    "trials": _digest(on_ray),
                }  # fmt: skip
        finally:
            ray.shutdown()
    reference = ways[f"local pool of {args.workers}"]["trials"]
    same = all(way.pop("trials") == reference for way in ways.values())
    if not same:
        raise SystemExit("Ray and the local pool gave different trials")
    one = ways["Ray, 1 worker(s)"]["wall_s"]
    for way in ways.values():
        way["speed_up_vs_ray_1"] = one / way["wall_s"]
    return {"trials": args.trials, "batch": args.batch, "same_trials": same, "ways": ways}


def _baseline(data: Path) -> dict[str, float]:
    command = [
        str(Path(sys.executable).with_name("alphamoe")), "backtest", "--start", SEARCH_SPAN[0].isoformat(), "--end",
        SEARCH_SPAN[1].isoformat(), "--data", str(data), "--no-progress", "--params", '{"breakout_window": 35}',
    ]  # fmt: skip
    before = _children_cpu()
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"alphamoe backtest failed:\n{done.stderr[-2000:]}")
    return {"wall_s": wall, "cpu_s": _children_cpu() - before}


def _print_search(ours: dict[str, Any], base: list[dict[str, float]]) -> None:
    title = f"search, {ours['stocks']:,} stocks × {ours['sessions']:,} sessions (5 years), 2-core machine"
    table = Table(title=title)
    columns = ("way", "trials run", "s per trial (wall)", "CPU s per trial", f"{SEARCH_TARGET:,} trials: at this wall",
               "if CPU-bound on the pool's cores")  # fmt: skip
    for col in columns:
        table.add_column(col, justify="left" if col == "way" else "right")
    rows = [
        (f"search, local pool of {ours['workers']}", ours["trials"], ours["pool_s_per_trial"],
         ours["pool_cpu_s_per_trial"]),
        ("search, 1 process", ours["split_trials"], ours["split_wall_s_per_trial"], ours["split_cpu_s_per_trial"]),
    ]  # fmt: skip
    if base:
        rows.append(("`alphamoe backtest` per trial (baseline)", len(base), sum(b["wall_s"] for b in base) / len(base),
                     sum(b["cpu_s"] for b in base) / len(base)))  # fmt: skip
    for (name, n, wall, cpu), cores in zip(rows, (ours["workers"], 1, 1), strict=False):
        label = "" if n >= SEARCH_TARGET else " (extrapolated)"
        bound = f"{cpu * SEARCH_TARGET / cores / 60:.1f} min{label}"
        table.add_row(name, str(n), f"{wall:.2f}", f"{cpu:.2f}", f"{wall * SEARCH_TARGET / 60:.1f} min{label}", bound)
    table.caption = (
        f"study market loaded once: {ours['load_s']:.1f} s; first trial {ours['first_trial_s']:.1f} s; "
        f"peak {ours['peak_mb']:,.0f} MB"
    )
    Console().print(table)
    split = Table(title="CPU s per trial, in process: the backtest vs the research layer around it")
    for col in (
        "backtest (run_trial)",
        "span slicing",
        "study (Optuna, journal)",
        f"study layer alone ({ours['layer_trials']} trials): journal",
        "SQLite storage (before)",
    ):
        split.add_column(col, justify="right")
    split.add_row(
        f"{ours['backtest_cpu_s_per_trial']:.3f}", f"{ours['span_cpu_s_per_trial']:.3f}",
        f"{ours['study_cpu_s_per_trial']:.3f}",
        f"{ours['layer_journal_cpu_s_per_trial']:.4f} CPU / {ours['layer_journal_s_per_trial']:.4f} wall",
        f"{ours['layer_sqlite_cpu_s_per_trial']:.4f} CPU / {ours['layer_sqlite_s_per_trial']:.4f} wall",
    )  # fmt: skip
    Console().print(split)


def _print_walk_forward(ours: dict[str, Any]) -> None:
    table = Table(title=f"walk-forward, {ours['stocks']:,} stocks × {ours['sessions']:,} sessions (10 years)")
    columns = ("windows", "trials / window", "runs", "wall", "CPU", "CPU s per run",
               f"{WALK_TARGET} trials / window: at this wall", f"if CPU-bound on {ours['workers']} cores")  # fmt: skip
    for col in columns:
        table.add_column(col, justify="right")
    runs = ours["trials"] + ours["windows"]
    target_runs = ours["windows"] * (WALK_TARGET + 1)
    label = "" if ours["trials_per_window"] >= WALK_TARGET else " (extrapolated)"
    table.add_row(str(ours["windows"]), str(ours["trials_per_window"]), str(runs), f"{ours['wall_s']:.0f} s",
                  f"{ours['cpu_s']:.0f} s", f"{ours['cpu_s'] / runs:.2f}",
                  f"{ours['s_per_run'] * target_runs / 60:.1f} min{label}",
                  f"{ours['cpu_s'] / runs * target_runs / ours['workers'] / 60:.1f} min{label}")  # fmt: skip
    table.caption = (
        f"in-sample {ours['in_sample']} sessions, out-of-sample {ours['out_of_sample']}; local pool of "
        f"{ours['workers']}, batch {ours['batch']}; market loaded in {ours['load_s']:.0f} s; "
        f"peak {ours['peak_mb']:,.0f} MB"
    )
    Console().print(table)


def _print_ray(ours: dict[str, Any]) -> None:
    table = Table(
        title=f"Ray speed-up, {ours['trials']} trials (5 years × 5,500 stocks), same trials: {ours['same_trials']}"
    )
    for col in ("way", "wall s", "s per trial", "driver CPU s", "workers' CPU s", "speed-up vs 1 Ray worker"):
        table.add_column(col, justify="left" if col == "way" else "right")
    for name, way in ours["ways"].items():
        table.add_row(name, f"{way['wall_s']:.1f}", f"{way['wall_s'] / ours['trials']:.2f}",
                      f"{way.get('driver_cpu_s', float('nan')):.1f}", f"{way.get('workers_cpu_s', float('nan')):.1f}",
                      f"{way['speed_up_vs_ray_1']:.2f}×")  # fmt: skip
    Console().print(table)


CHILDREN = {"search": _child_search, "walk-forward": _child_walk_forward, "ray": _child_ray}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=sorted(CHILDREN))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--trials", type=int, help="trials (per window for walk-forward); default 24 / 3 / 12")
    parser.add_argument("--batch", type=int, default=8, help="trials asked per round (the CLI's default)")
    parser.add_argument("--workers", type=int, default=2, help="local pool processes and Ray CPUs")
    parser.add_argument("--split", type=int, default=6, help="search: trials run in process for the CPU split")
    parser.add_argument("--layer", type=int, default=200, help="search: trials of the study layer alone")
    parser.add_argument("--baseline", type=int, default=1, help="search: `alphamoe backtest` runs timed")
    parser.add_argument("--windows", type=int, default=12, help="walk-forward: rolling windows")
    parser.add_argument("--in-sample", type=int, default=500, help="walk-forward: sessions per in-sample window")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.trials = args.trials or {"search": 24, "walk-forward": 3, "ray": 12}[args.mode]
    if args.child:
        print(json.dumps(CHILDREN[args.mode](args)))
        return
    if not (args.data / "bars").is_dir():
        raise SystemExit(f"no market at {args.data}: run benchmarks/bench_backtest.py once (it generates it)")
    child = [sys.executable, __file__, *sys.argv[1:], "--child"]
    done = subprocess.run(child, stdout=subprocess.PIPE, text=True, check=False)  # progress on stderr, shown
    if done.returncode != 0:
        raise SystemExit(f"{args.mode} child failed (its stderr above)")
    ours = json.loads(done.stdout.strip().splitlines()[-1])
    payload = json.loads(OUT.read_text()) if OUT.is_file() else {}
    payload = {k: v for k, v in payload.items() if k not in ("date", "measured")}
    key = args.mode.replace("-", "_")
    if args.mode == "search":
        base = [_baseline(args.data) for _ in range(args.baseline)]
        payload["baseline"] = base
        _print_search(ours, base)
    elif args.mode == "walk-forward":
        _print_walk_forward(ours)
    else:
        _print_ray(ours)
    payload[key] = {**ours, "measured": time.strftime("%Y-%m-%d %H:%M"), "load_average": _load()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=2))


def _load() -> list[float]:
    import os

    return [round(x, 2) for x in os.getloadavg()]


if __name__ == "__main__":
    main()
