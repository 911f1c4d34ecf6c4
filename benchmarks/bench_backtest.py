"""Time a 10-year bulk backtest of 5,500 stocks: alphamoe (rules on) vs plain VectorBT (rules off) vs Backtrader.

Each measurement runs in a fresh child process (`--child NAME`), which reports its own peak memory
(`resource.getrusage(RUSAGE_SELF).ru_maxrss`). The market is the deterministic synthetic generator over
ten years (2016–2025, seed 7), generated once and cached under `.alphamoe/bench-backtest-market`.

- alphamoe: `backtest.engine.prepare` (load the panel, the strategy's decisions once, point-in-time Kelly
  statistics: every refresh window in one fused pass) then `compiled.engine.simulate_compiled` (the session
  loop with T+1, lots, sealed limits, suspensions, dated fees, the live `size_batch` and `RiskEngine`
  transcribed to numba over fen arrays), with NO Kelly cache: the cold figure depends on no earlier run
  (only on numba's on-disk kernel cache, as every numba user's does); "warm" reruns decisions, statistics
  and the loop in the same process with the panel in memory (as VectorBT's warm call has its arrays).
- cached: the alphamoe child again in a new process, over the Kelly refresh cache (`backtest.kelly_cache`,
  kept between benchmark runs and filled by this child's first call if empty; its hits and misses are
  reported): what a rerun, a later or longer span, or new sizing settings cost; its trades' digest must
  equal alphamoe's.
- reference: the same, with `engine.simulate` (the loop over the live Python size/risk objects), timed
  once; its trades' digest must equal alphamoe's (the table says "same trades").
- vectorbt: the same signals, then plain `Portfolio.from_signals` (rules off: next-open fills, a flat
  fee, no lots/limits/T+1 accounting, one portfolio per column); first call (numba compile) and warm.
- backtrader: the same decisions through Backtrader with the A-share broker, one stock per run for a
  sample of stocks (each run: that stock's signals, statistics and the Backtrader run); the mean
  per-stock time is extrapolated to the universe (said so in the table).
CPU seconds are printed beside wall seconds: on a shared 2-core machine the wall clock mostly measures
the neighbours.

    python benchmarks/bench_backtest.py [--data DIR] [--sample 8] [--only alphamoe,reference,vectorbt,backtrader]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".alphamoe" / "bench-backtest-market"
KELLY_CACHE = REPO / ".alphamoe" / "bench-backtest-kelly-cache"  # emptied before the "alphamoe" child
START, END = date(2016, 1, 4), date(2025, 12, 31)
SYMBOLS, SEED = 5500, 7


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _digest(trades: list[Any]) -> str:
    import hashlib

    return hashlib.sha256("\n".join(t.model_dump_json() for t in trades).encode()).hexdigest()[:16]


def _child_alphamoe(
    data: Path, sample: int, *, compiled: bool = True, route: str = "none", cache: Path | None = None
) -> dict[str, Any]:
    t0 = time.perf_counter()
    from alphamoe.backtest.compiled.engine import simulate_compiled
    from alphamoe.backtest.config import BacktestConfig
    from alphamoe.backtest.engine import prepare, prepare_market, simulate
    from alphamoe.backtest.kelly_cache import KellyCache
    from alphamoe.market.bars import BarStore
    from alphamoe.strategy.trend_breakout import TrendBreakout

    run = simulate_compiled if compiled else simulate
    imported = time.perf_counter()
    config, strategy = BacktestConfig(warmup=0, route=route), TrendBreakout()
    cpu = time.process_time()
    store = BarStore(data)
    prepared = prepare(store, START, END, strategy, config, cache=cache)
    result = run(prepared)
    first = {**result.timings, "cpu_s": time.process_time() - cpu}
    kelly = {"windows_cached": prepared.kelly.cached, "windows_computed": prepared.kelly.computed}
    summary = {
        "fills": result.metrics.fills,
        "digest": _digest(result.trades),
        "cagr": result.metrics.cagr,
        "max_drawdown": result.metrics.max_drawdown,
        "verdicts": result.verdicts,
        "stocks": result.universe,
        "sessions": result.sessions,
        "unfilled": result.unfilled,
        "kelly_first": kelly,
    }
    if route != "none":  # routing runs the live Python router on every pick: timed once
        first["total_s"] = sum(result.timings.values())
        return {"import_s": imported - t0, "first": first, **summary, "peak_mb": _peak_mb()}
    # warm: the panel stays in memory (as VectorBT's arrays do); signals, statistics and the loop run again
    cpu, start = time.process_time(), time.perf_counter()
    kelly_cache = None if cache is None else KellyCache.for_store(cache, store)
    rerun = prepare_market(prepared.market, strategy, config, prepared.industries, kelly_cache=kelly_cache)
    again = run(rerun) if compiled else result  # the live-object loop is timed once: it is the slow one
    warm = {
        **{k: rerun.timings[k] for k in ("signals_s", "stats_s", "picks_s")},
        "loop_s": again.timings["loop_s"],
        "total_s": time.perf_counter() - start + (0.0 if compiled else result.timings["loop_s"]),
        "cpu_s": time.process_time() - cpu,
    }
    assert again.trades == result.trades, "a warm rerun must give the same trades"
    summary["kelly_warm"] = {"windows_cached": rerun.kelly.cached, "windows_computed": rerun.kelly.computed}
    return {
        "import_s": imported - t0,
        "first": {**first, "total_s": sum(v for k, v in result.timings.items())},
        "warm": warm,
        **summary,
        "peak_mb": _peak_mb(),
    }


def _child_cached(data: Path, sample: int) -> dict[str, Any]:
    # a new process over the Kelly cache the "alphamoe" child filled: a rerun, another span or universe
    return _child_alphamoe(data, sample, cache=KELLY_CACHE)


def _child_cold(data: Path, sample: int) -> dict[str, Any]:
    return _child_alphamoe(data, sample)  # no Kelly cache: nothing computed by an earlier run is read


def _child_reference(data: Path, sample: int) -> dict[str, Any]:
    return _child_alphamoe(data, sample, compiled=False)


def _child_routed(data: Path, sample: int) -> dict[str, Any]:
    return _child_alphamoe(data, sample, route="symbolic")


def _child_vectorbt(data: Path, sample: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    import numpy as np
    import vectorbt as vbt

    from alphamoe.backtest.universe import load_range
    from alphamoe.market.bars import BarStore
    from alphamoe.strategy.stats import next_session_orders
    from alphamoe.strategy.trend_breakout import TrendBreakout

    imported = time.perf_counter()
    panel, _ = load_range(BarStore(data), START, END, 0)
    loaded = time.perf_counter()
    signals = TrendBreakout().signals(panel)
    signalled = time.perf_counter()
    factor = panel.adjustment_factor()
    close = np.ascontiguousarray(np.nan_to_num(panel.close * factor))
    price = np.ascontiguousarray(panel.open * factor)
    entries = np.ascontiguousarray(next_session_orders(signals.entries, panel.traded))
    exits = np.ascontiguousarray(next_session_orders(signals.exits, panel.traded))

    def once() -> tuple[float, float, int]:
        start, cpu = time.perf_counter(), time.process_time()
        pf = vbt.Portfolio.from_signals(
            close=close, entries=entries, exits=exits, price=price, fees=0.0005, init_cash=1_000_000.0, freq="1D"
        )
        fills = int(pf.orders.count().sum())
        return time.perf_counter() - start, time.process_time() - cpu, fills

    first, _, fills = once()
    warm, warm_cpu, _ = once()
    return {
        "import_s": imported - t0,
        "load_s": loaded - imported,
        "signals_s": signalled - loaded,
        "first_s": first,
        "warm_s": warm,
        "warm_cpu_s": warm_cpu,
        "fills": fills,
        "peak_mb": _peak_mb(),
    }


def _child_backtrader(data: Path, sample: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    from alphamoe.backtest.bt_engine import run_backtrader
    from alphamoe.backtest.config import BacktestConfig
    from alphamoe.backtest.engine import prepare_panel, store_industries
    from alphamoe.backtest.universe import load_range, restrict
    from alphamoe.market.bars import BarStore
    from alphamoe.strategy.trend_breakout import TrendBreakout

    imported = time.perf_counter()
    store = BarStore(data)
    panel, first_row = load_range(store, START, END, 0)
    industries = store_industries(store)
    symbols = panel.symbols
    picks = symbols[:: max(len(symbols) // sample, 1)][:sample]
    per_stock: list[float] = []
    fills = 0
    for symbol in picks:  # one stock per Backtrader run, as a per-stock backtest is usually written
        start = time.perf_counter()
        prepared = prepare_panel(
            restrict(panel, (symbol,)), first_row, TrendBreakout(), BacktestConfig(warmup=0), industries
        )
        fills += run_backtrader(prepared).metrics.fills
        per_stock.append(time.perf_counter() - start)
    mean = sum(per_stock) / len(per_stock)
    return {
        "import_s": imported - t0,
        "sample": list(picks),
        "per_stock_s": per_stock,
        "mean_per_stock_s": mean,
        "extrapolated_s": mean * len(symbols),
        "stocks": len(symbols),
        "fills": fills,
        "peak_mb": _peak_mb(),
    }


CHILDREN = {
    "alphamoe": _child_cold,
    "cached": _child_cached,
    "reference": _child_reference,
    "routed": _child_routed,
    "vectorbt": _child_vectorbt,
    "backtrader": _child_backtrader,
}


def _spawn(name: str, data: Path, sample: int) -> dict[str, Any]:
    load = os.getloadavg()[0]  # the machine's 1-minute load when the child starts: 2 cores, shared
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, "--data", str(data), "--sample", str(sample)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child {name} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - start
    result["load_before"] = load
    return result


def _ensure_market(data: Path) -> None:
    if (data / "bars").is_dir():
        return
    from alphamoe.data.synthetic import write_market

    print(f"generating the 10-year {SYMBOLS:,}-stock market in {data} (once, ~1 min) …", flush=True)
    write_market(data, symbols=SYMBOLS, start=START, end=END, seed=SEED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sample", type=int, default=8, help="stocks timed one by one through Backtrader")
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--table", action="store_true", help="print the last results again without running")
    parser.add_argument(
        "--only", default="", help="rerun only these children (comma-separated); the others come from the last results"
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.data, args.sample)))
        return

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    _ensure_market(args.data)
    out = REPO / "benchmarks" / "results" / "backtest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    only = [] if args.table else [n for n in args.only.split(",") if n] or list(CHILDREN)
    previous = json.loads(out.read_text())["results"] if out.exists() and (args.only or args.table) else {}
    results: dict[str, dict[str, Any]] = {k: v for k, v in previous.items() if k not in only}
    with Progress() as progress:
        task = progress.add_task("benchmarks", total=len(only))
        for name in ("vectorbt", "alphamoe", "cached", "reference", "routed", "backtrader"):
            if name not in only:
                continue
            progress.update(task, description=name)
            results[name] = {**_spawn(name, args.data, args.sample), "measured": time.strftime("%Y-%m-%d %H:%M")}
            out.write_text(json.dumps({"date": str(date.today()), "results": results}, indent=2))  # keep partials
            progress.advance(task)
    ours, vb, bt = results["alphamoe"], results["vectorbt"], results["backtrader"]
    shape = f"{ours['stocks']:,} stocks × {ours['sessions']:,} sessions"
    table = Table(title=f"10-year bulk backtest, {shape} (2-core machine, same run)")
    for col in (
        "engine",
        "rules",
        "import s",
        "load s",
        "market s",
        "signals s",
        "stats s",
        "backtest s",
        "cold total s",
        "warm s",
        "fills",
        "peak MB",
    ):
        table.add_column(col, justify="left" if col in ("engine", "rules") else "right")
    f, w = ours["first"], ours["warm"]
    table.add_row(
        "plain VectorBT from_signals (baseline)",
        "off",
        f"{vb['import_s']:.2f}",
        f"{vb['load_s']:.2f}",
        "-",
        f"{vb['signals_s']:.2f}",
        "-",
        f"{vb['first_s']:.2f}",
        f"{vb['import_s'] + vb['load_s'] + vb['signals_s'] + vb['first_s']:.2f}",
        f"{vb['warm_s']:.2f} (from_signals only; CPU {vb['warm_cpu_s']:.1f})",
        f"{vb['fills']:,}",
        f"{vb['peak_mb']:,.0f}",
    )
    table.add_row(
        "alphamoe engine (compiled session loop)",
        "on: T+1, lots, sealed limits, suspensions, dated fees, live size+risk",
        f"{ours['import_s']:.2f}",
        f"{f['load_s']:.2f}",
        f"{f.get('market_s', 0.0):.2f}",
        f"{f['signals_s']:.2f}",
        f"{f['stats_s']:.2f}",
        f"{f['loop_s']:.2f}",
        f"{ours['import_s'] + f['total_s']:.2f} (CPU {f['cpu_s']:.1f}; no Kelly cache)",
        f"{w['total_s']:.2f} (signals {w['signals_s']:.1f} + stats {w['stats_s']:.1f} + picks "
        f"{w.get('picks_s', 0.0):.1f} + loop {w['loop_s']:.1f}; CPU {w['cpu_s']:.1f})",
        f"{ours['fills']:,}",
        f"{ours['peak_mb']:,.0f}",
    )
    cached = results.get("cached")
    if cached is not None:
        cf, cw = cached["first"], cached["warm"]
        same = "same trades" if cached["digest"] == ours["digest"] else "TRADES DIFFER"
        table.add_row(
            f"alphamoe, a new process over the Kelly refresh cache ({same}; windows read/run "
            f"{cached['kelly_first']['windows_cached']}/{cached['kelly_first']['windows_computed']})",
            "on (the same rules)",
            f"{cached['import_s']:.2f}",
            f"{cf['load_s']:.2f}",
            f"{cf.get('market_s', 0.0):.2f}",
            f"{cf['signals_s']:.2f}",
            f"{cf['stats_s']:.2f}",
            f"{cf['loop_s']:.2f}",
            f"{cached['import_s'] + cf['total_s']:.2f} (CPU {cf['cpu_s']:.1f})",
            f"{cw['total_s']:.2f} (signals {cw['signals_s']:.1f} + stats {cw['stats_s']:.1f} + picks "
            f"{cw['picks_s']:.1f} + loop {cw['loop_s']:.1f}; CPU {cw['cpu_s']:.1f})",
            f"{cached['fills']:,}",
            f"{cached['peak_mb']:,.0f}",
        )
    ref = results.get("reference")
    if ref is not None:
        rf = ref["first"]
        same = "same trades" if ref["digest"] == ours["digest"] else "TRADES DIFFER"
        table.add_row(
            f"alphamoe, live Python size/risk objects (--engine reference; {same})",
            "on (the same rules, uncompiled)",
            f"{ref['import_s']:.2f}",
            f"{rf['load_s']:.2f}",
            f"{rf.get('market_s', 0.0):.2f}",
            f"{rf['signals_s']:.2f}",
            f"{rf['stats_s']:.2f}",
            f"{rf['loop_s']:.2f}",
            f"{ref['import_s'] + rf['total_s']:.2f} (CPU {rf['cpu_s']:.1f})",
            f"{ref['warm']['total_s']:.2f} (loop {rf['loop_s']:.1f})",
            f"{ref['fills']:,}",
            f"{ref['peak_mb']:,.0f}",
        )
    routed = results.get("routed")
    if routed is not None:
        rt, v = routed["first"], routed["verdicts"]
        table.add_row(
            f"alphamoe --route symbolic: the live router's symbolic experts judge all {sum(v.values()):,} picks "
            f"(vetoed {v['veto']:,}, abstained {v['abstain']:,}; CAGR {routed['cagr']:.1%} vs {ours['cagr']:.1%})",
            "on (the same rules)",
            f"{routed['import_s']:.2f}",
            f"{rt['load_s']:.2f}",
            f"{rt.get('market_s', 0.0):.2f}",
            f"{rt['signals_s']:.2f} (+ features)",
            f"{rt['stats_s']:.2f}",
            f"{rt['loop_s']:.2f} (routing {rt['picks_s']:.1f})",
            f"{routed['import_s'] + rt['total_s']:.2f} (CPU {rt['cpu_s']:.1f})",
            "-",
            f"{routed['fills']:,}",
            f"{routed['peak_mb']:,.0f}",
        )
    table.add_row(
        f"Backtrader, A-share broker, per stock (mean of {len(bt['sample'])}, × {bt['stocks']:,} extrapolated)",
        "on",
        f"{bt['import_s']:.2f}",
        "-",
        "-",
        "-",
        "-",
        f"{bt['mean_per_stock_s']:.2f} / stock",
        f"≈ {bt['extrapolated_s']:,.0f} (extrapolated)",
        "-",
        f"{bt['fills']:,} (sample)",
        f"{bt['peak_mb']:,.0f}",
    )
    Console(width=200).print(table)
    out.write_text(json.dumps({"date": str(date.today()), "market": shape, "results": results}, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
