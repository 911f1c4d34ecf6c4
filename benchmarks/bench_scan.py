"""Time one day's scan of the 5,500-stock market, cold and warm: alphamoe beside plain VectorBT, same run.

Every measurement is a fresh child process (`--child NAME`), so "cold" is what a function scaling from
zero pays: imports + bar load + first scan. alphamoe runs twice cold: with the numba cache the scan
function ships (warmed first by `python -m alphamoe.scan.warm`, as its image build does) and with an
empty cache (what it would pay without one). The VectorBT baseline is `bench_run._child_vectorbt_scan`.
Printed side by side, and written to benchmarks/results/scan.json.

    python benchmarks/bench_scan.py [--data DIR] [--repeat 5] [--skip-compile]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".alphamoe" / "bench-market"
SHIPPED_CACHE = REPO / ".alphamoe" / "numba-cache"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_alphamoe_scan(data: Path, repeat: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    from alphamoe.market.bars import BarStore
    from alphamoe.scan.load import load_scan_inputs
    from alphamoe.scan.scanner import scan_day
    from alphamoe.scan.warm import report
    from alphamoe.strategy.registry import strategy_by_name
    from alphamoe.strategy.stats import DEFAULT_STATS_REFRESH, kelly_panel_sessions

    imported = time.perf_counter()
    day = _last_session(data)
    store = BarStore(data)
    before = [d for d in store.sessions() if d < day]  # from the Kelly window's first session, as the scan stage
    inputs = load_scan_inputs(store, day, kelly_panel_sessions(before, before[-1], 250, DEFAULT_STATS_REFRESH))
    loaded = time.perf_counter()
    strategy = strategy_by_name("trend_breakout")

    def once() -> tuple[float, int]:
        start = time.perf_counter()
        result = scan_day(inputs.panel, inputs.day, inputs.reference, strategy)
        return time.perf_counter() - start, len(result.signals)

    first, candidates = once()
    kernels = report()
    warm = [once()[0] for _ in range(repeat)]
    return {
        "import_s": imported - t0,
        "load_s": loaded - imported,
        "first_s": first,
        "warm_s": statistics.median(warm),
        "candidates": candidates,
        "day": str(day),
        "compiled": sorted(k for k, c in kernels.items() if c["misses"]),
        "peak_mb": _peak_mb(),
    }


def _last_session(data: Path) -> date:
    import pyarrow.parquet as pq

    newest = max(data.glob("bars/*.parquet"), key=lambda p: int(p.stem))
    days = pq.read_table(newest, columns=["date"]).column("date").to_numpy()
    return date.fromisoformat(str(days.max()))  # no million date objects: that alone costs seconds


def _child_vectorbt_scan(data: Path, repeat: int) -> dict[str, Any]:
    from bench_run import _child_vectorbt_scan as baseline  # type: ignore[import-not-found]  # same folder

    result: dict[str, Any] = baseline(data, repeat)
    result["peak_mb"] = _peak_mb()
    return result


CHILDREN = {"alphamoe_scan": _child_alphamoe_scan, "vectorbt_scan": _child_vectorbt_scan}


def _spawn(name: str, data: Path, repeat: int, env: dict[str, str]) -> dict[str, Any]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, "--data", str(data), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode:
        raise SystemExit(f"child {name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - start
    return result


def _warm_cache(cache: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    subprocess.run([sys.executable, "-m", "alphamoe.scan.warm"], check=True, env=env, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-compile", action="store_true", help="skip the empty-cache alphamoe run")
    parser.add_argument("--child", choices=sorted(CHILDREN))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.data, args.repeat)))
        return

    from bench_run import _ensure_market  # same folder as this script
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    _ensure_market(args.data)
    empty = Path(tempfile.mkdtemp(prefix="numba-empty-"))
    plan = [
        ("vectorbt_scan", "plain VectorBT scan (baseline)", {}),
        ("alphamoe_scan", "alphamoe scan, shipped numba cache", {"NUMBA_CACHE_DIR": str(SHIPPED_CACHE)}),
    ]
    if not args.skip_compile:
        plan.append(("alphamoe_scan", "alphamoe scan, empty numba cache", {"NUMBA_CACHE_DIR": str(empty)}))
    results: dict[str, dict[str, Any]] = {}
    try:
        with Progress() as progress:
            task = progress.add_task("benchmarks", total=len(plan) + 1)
            progress.update(task, description="warming the shipped cache")
            _warm_cache(SHIPPED_CACHE)
            progress.advance(task)
            for name, label, extra in plan:
                progress.update(task, description=label)
                results[label] = _spawn(name, args.data, args.repeat, {**os.environ, **extra})
                progress.advance(task)
    finally:
        shutil.rmtree(empty, ignore_errors=True)
    ours = results["alphamoe scan, shipped numba cache"]
    table = Table(title=f"one day's scan, 5,500 stocks × 250 sessions, {ours['day']} (same run, fresh processes)")
    columns = ("what", "import s", "load s", "first scan s", "cold total s", f"warm median of {args.repeat} s")
    for col in (*columns, "peak MB", "candidates"):
        table.add_column(col, justify="left" if col == "what" else "right")
    for label, r in results.items():
        r["cold_s"] = r["import_s"] + r["load_s"] + r["first_s"]
        table.add_row(
            label,
            f"{r['import_s']:.2f}",
            f"{r['load_s']:.2f}",
            f"{r['first_s']:.2f}",
            f"{r['cold_s']:.2f}",
            f"{r['warm_s']:.3f}",
            f"{r['peak_mb']:.0f}",
            str(r.get("candidates", "—")),
        )
    Console(width=140).print(table)
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} (timings on a loaded machine are indicative)")
    out = REPO / "benchmarks" / "results" / "scan.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": str(date.today()), "results": results}, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
