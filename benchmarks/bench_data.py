"""Time the market-data layer: import of the real folder, a day's cross-section from local Parquet and S3.

- import: `alphamoe data import --format ganlei` of ../shared/data/ashare/daily (114 stocks, ~366k rows),
  rows/s, beside a bare `pandas.read_csv` of the same files (the floor any importer pays);
- load: one day's scan input, the panel of 5,500 stocks × 250 sessions (`BarStore.panel`), and the day's
  bars (`BarStore.day`), from a fresh BarStore on local Parquet and on a local S3 server (moto, its own
  process, through boto3), beside reading the whole year file and filtering it (no pruning); the scan's
  whole read (`scan.load.load_scan_inputs`: the panel until D−1 column-major plus D's pre-open reference);
- size: Parquet bytes per million bars;
- append (`--part append`, issue 16): a year of daily appends, 5,500 stocks one session at a time
  (`data.store_write.append_bars`, the last sessions through the quality gate `admit_days`), time per append
  beside the old way (a full rewrite of the store: `BarStore.write`), then the scan's panel read from the
  appended store beside the same panel from a store written in one go (no slowdown from the appends), and
  a few appends to S3 (the moto stand-in). Goals: append ≤ 2 s local, panel ≤ 0.3 s. → results/data_append.json
- span (`--part span`, issue 15): a 10-year backtest's load from a cold process, over bench_backtest.py's market
  (5,500 stocks, 2016–2025): import, `backtest.universe.load_range` (the column-major panel, numba's first
  kernel load included) and `backtest.market.build_market`, wall and CPU seconds and peak memory, each run in a
  fresh process (median of --repeat). → results/data_span.json

Goals: panel ≤ 0.5 s local, ≤ 2 s from S3. Written to benchmarks/results/data.json.

    python benchmarks/bench_data.py [--symbols 5500] [--sessions 250] [--repeat 3] [--part all|load|append|span]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
REAL_DAILY = REPO.parent / "shared" / "data" / "ashare" / "daily"
GOALS = {"panel_local_s": 0.5, "panel_s3_s": 2.0}


CPU: dict[str, float] = {}  # CPU seconds of the last _best call: less distorted than wall time on a busy machine


def _best(fn: Callable[[], object], repeat: int) -> float:
    times, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU["last"] = statistics.median(cpu)
    return statistics.median(times)


def bench_import(work: Path) -> dict[str, Any]:
    from alphamoe.data.ganlei import csv_files
    from alphamoe.data.sources import import_source
    from alphamoe.market.bars import BarStore

    if not REAL_DAILY.is_dir():
        return {"skipped": f"{REAL_DAILY} absent"}
    t0 = time.perf_counter()
    import_source("ganlei", REAL_DAILY, work / "real", check=False)
    store = BarStore(work / "real")
    spent = time.perf_counter() - t0
    rows = int(store.meta()["rows"])
    t0 = time.perf_counter()
    bare = sum(len(pd.read_csv(f, skiprows=1, encoding="utf-8-sig")) for f in csv_files(REAL_DAILY))
    bare_s = time.perf_counter() - t0
    return {"rows": rows, "import_s": spent, "rows_per_s": rows / spent, "read_csv_s": bare_s,
            "read_csv_rows_per_s": bare / bare_s}  # fmt: skip


def _market(symbols: int, sessions: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    from alphamoe.data.synthetic import generate_market
    from alphamoe.market.calendar import TradingCalendar

    days = TradingCalendar().sessions(date(2025, 1, 2), date(2026, 12, 31))[:sessions]
    return generate_market(symbols, days[0], days[-1], 7)


def _whole_file(read: Callable[[], bytes], day: date) -> pd.DataFrame:
    frame = pd.read_parquet(io.BytesIO(read()))
    return frame[frame["date"] == day]


def bench_load(work: Path, symbols: int, sessions: int, repeat: int) -> dict[str, Any]:
    from alphamoe.market.bars import BarStore
    from alphamoe.scan.load import load_scan_inputs
    from alphamoe.storage.local_s3 import LocalS3
    from alphamoe.storage.location import S3Location
    from alphamoe.storage.s3 import S3Store

    bars, instruments = _market(symbols, sessions)
    local = BarStore.write(work / "market", bars, instruments, {"bench": True})
    last = local.sessions()[-1]
    files = sorted((work / "market" / "bars").glob("*.parquet"))
    size = sum(f.stat().st_size for f in files)
    out: dict[str, Any] = {"bars": len(bars), "parquet_bytes": size, "mb_per_million_bars": size / len(bars)}
    out["row_groups"] = sum(pq.ParquetFile(f).num_row_groups for f in files)
    out["panel_local_s"] = _best(lambda: BarStore(work / "market").panel(last, sessions), repeat)
    out["panel_local_cpu_s"] = CPU["last"]
    out["day_local_s"] = _best(lambda: BarStore(work / "market").day(last), repeat)
    out["scan_inputs_local_s"] = _best(lambda: load_scan_inputs(work / "market", last, sessions), repeat)
    out["scan_inputs_local_cpu_s"] = CPU["last"]
    year_file = work / "market" / "bars" / f"{last.year}.parquet"
    out["day_local_whole_file_s"] = _best(lambda: _whole_file(year_file.read_bytes, last), repeat)
    server = LocalS3(work / "s3").start()
    try:
        server.create_bucket("bench")
        objects = S3Store(S3Location("bench", "market"), server.client())
        t0 = time.perf_counter()
        BarStore.write(objects, bars, instruments, {"bench": True})
        out["write_s3_s"] = time.perf_counter() - t0
        panel = BarStore(objects).panel(last, sessions)
        assert panel.close.shape == local.panel(last, sessions).close.shape
        out["panel_s3_s"] = _best(lambda: BarStore(objects).panel(last, sessions), repeat)
        out["panel_s3_cpu_s"] = CPU["last"]  # client side only: the server is another process
        out["day_s3_s"] = _best(lambda: BarStore(objects).day(last), repeat)
        key = f"bars/{last.year}.parquet"
        out["day_s3_whole_file_s"] = _best(lambda: _whole_file(lambda: objects.get_bytes(key), last), repeat)
    finally:
        server.stop()
    return out


APPEND_GOALS = {"append_local_s": 2.0, "panel_after_appends_s": 0.3}


def bench_append(work: Path, symbols: int, sessions: int, repeat: int, gated: int = 10) -> dict[str, Any]:
    from alphamoe.data.store_write import admit_days, append_bars
    from alphamoe.market.bars import BarStore
    from alphamoe.storage.local_s3 import LocalS3
    from alphamoe.storage.location import S3Location
    from alphamoe.storage.s3 import S3Store

    seed = 10  # sessions in the store before the appends
    bars, instruments = _market(symbols, sessions + seed)
    days = sorted(set(bars["date"]))
    by_day = {day: part for day, part in bars.groupby("date", sort=True)}
    root = work / "appended"
    BarStore.write(root, bars[bars["date"] < days[seed]], instruments, {"bench": True})
    append_s, append_cpu, gate_s = [], [], []
    for i, day in enumerate(days[seed:]):
        t0, c0 = time.perf_counter(), time.process_time()
        if i < sessions - gated:
            append_bars(root, by_day[day], source="bench")
            append_s.append(time.perf_counter() - t0)
            append_cpu.append(time.process_time() - c0)
        else:
            result = admit_days(root, by_day[day], source="bench")
            assert result.admitted == [day], result.quarantined
            gate_s.append(time.perf_counter() - t0)
    whole = work / "whole"
    t0 = time.perf_counter()
    BarStore.write(whole, bars, instruments, {"bench": True})
    rewrite_s = time.perf_counter() - t0
    last = days[-1]
    assert BarStore(root).frame(last, last).equals(BarStore(whole).frame(last, last))
    files = sorted(p.name for p in (root / "bars").iterdir())
    out: dict[str, Any] = {
        "appends": len(append_s),
        "append_median_s": statistics.median(append_s),
        "append_p95_s": sorted(append_s)[int(0.95 * (len(append_s) - 1))],
        "append_max_s": max(append_s),
        "append_last_s": append_s[-1],
        "append_cpu_median_s": statistics.median(append_cpu),
        "append_cpu_p95_s": sorted(append_cpu)[int(0.95 * (len(append_cpu) - 1))],
        "append_cpu_max_s": max(append_cpu),
        "append_cpu_last_s": append_cpu[-1],
        "admit_median_s": statistics.median(gate_s) if gate_s else None,
        "full_rewrite_s": rewrite_s,
        "year_files_after": files,
        "panel_after_appends_s": _best(lambda: BarStore(root).panel(last, min(sessions, 270)), repeat),
        "panel_one_write_s": _best(lambda: BarStore(whole).panel(last, min(sessions, 270)), repeat),
    }
    server = LocalS3(work / "s3-append").start()
    try:
        server.create_bucket("bench")
        objects = S3Store(S3Location("bench", "market"), server.client())
        BarStore.write(objects, bars[bars["date"] < days[-3]], instruments, {"bench": True})
        s3_s = []
        for day in days[-3:]:
            t0 = time.perf_counter()
            append_bars(objects, by_day[day], source="bench")
            s3_s.append(time.perf_counter() - t0)
        out["append_s3_median_s"] = statistics.median(s3_s)
    finally:
        server.stop()
    return out


def main_append(args: argparse.Namespace, console: Console) -> None:
    with tempfile.TemporaryDirectory(prefix="alphamoe-bench-append-") as tmp:
        console.print(f"appending {args.sessions} sessions × {args.symbols:,} stocks one at a time …")
        result = bench_append(Path(tmp), args.symbols, args.sessions, args.repeat)
    load = os.getloadavg()[0]
    table = Table(title=f"daily appends (load average {load:.1f} on {os.cpu_count()} cores)", title_justify="left")
    for column in ("measure", "alphamoe", "baseline", "goal"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    n = f"{args.symbols:,} stocks"
    goal = APPEND_GOALS["append_local_s"]
    mark = "✓" if result["append_p95_s"] <= goal else "✗"
    table.add_row(f"append one session, {n}, local: median / p95 / max (s)",
                  f"{result['append_median_s']:.2f} / {result['append_p95_s']:.2f} / {result['append_max_s']:.2f}",
                  f"{result['full_rewrite_s']:.2f} full rewrite", f"≤ {goal} {mark}")  # fmt: skip
    table.add_row("… CPU seconds per append: median / p95 / max",
                  f"{result['append_cpu_median_s']:.2f} / {result['append_cpu_p95_s']:.2f} / "
                  f"{result['append_cpu_max_s']:.2f}", "", "")  # fmt: skip
    if result["admit_median_s"] is not None:
        table.add_row("… through the quality gate (admit_days), median (s)", f"{result['admit_median_s']:.2f}", "", "")
    table.add_row("append one session to S3 (stand-in), median (s)", f"{result['append_s3_median_s']:.2f}", "", "")
    goal = APPEND_GOALS["panel_after_appends_s"]
    mark = "✓" if result["panel_after_appends_s"] <= goal else "✗"
    table.add_row("scan panel after the appends (s)", f"{result['panel_after_appends_s']:.3f}",
                  f"{result['panel_one_write_s']:.3f} one write", f"≤ {goal} {mark}")  # fmt: skip
    table.add_row("year files after the appends", ", ".join(result["year_files_after"]), "", "")
    console.print(table)
    path = REPO / "benchmarks" / "results" / "data_append.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"date": date.today().isoformat(), "symbols": args.symbols, "sessions": args.sessions,
               "load_average": load, "append": result, "goals": APPEND_GOALS}  # fmt: skip
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    console.print(f"→ {path}")


SPAN_MARKET = REPO / ".alphamoe" / "bench-backtest-market"  # bench_backtest.py generates it on its first run


def span_child() -> dict[str, Any]:
    """One cold process: import, the 10-year panel and the market arrays (printed as JSON by `--span-child`)."""
    import resource

    t0, c0 = time.perf_counter(), time.process_time()
    from alphamoe.backtest.market import build_market
    from alphamoe.backtest.universe import load_range
    from alphamoe.market.bars import BarStore

    out: dict[str, Any] = {"import_s": time.perf_counter() - t0, "import_cpu_s": time.process_time() - c0}
    t0, c0 = time.perf_counter(), time.process_time()
    panel, first_row = load_range(BarStore(SPAN_MARKET), date(2016, 1, 4), date(2025, 12, 31), 0)
    out.update(load_s=time.perf_counter() - t0, load_cpu_s=time.process_time() - c0)
    t0, c0 = time.perf_counter(), time.process_time()
    build_market(panel, first_row, min_listing_days=60)
    out.update(market_s=time.perf_counter() - t0, market_cpu_s=time.process_time() - c0)
    out.update(shape=list(panel.close.shape), peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def main_span(args: argparse.Namespace, console: Console) -> None:
    import subprocess
    import sys

    if not (SPAN_MARKET / "bars").is_dir():
        raise SystemExit(f"{SPAN_MARKET} absent: run benchmarks/bench_backtest.py once to generate it")
    runs = []
    for _ in range(args.repeat):
        done = subprocess.run([sys.executable, __file__, "--span-child"], capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    keys = [k for k in runs[0] if k != "shape"]
    result = {k: statistics.median(r[k] for r in runs) for k in keys}
    load = os.getloadavg()[0]
    shape = "×".join(str(n) for n in runs[0]["shape"])
    title = f"10-year backtest load, cold process, median of {args.repeat} (load average {load:.1f})"
    table = Table(title=title, title_justify="left")
    for column in ("step", "wall s", "CPU s"):
        table.add_column(column, justify="right" if column != "step" else "left")
    steps = {"import": "import (this script loaded pandas first)", "load": f"load_range ({shape} panel)",
             "market": "build_market"}  # fmt: skip
    for step, label in steps.items():
        table.add_row(label, f"{result[f'{step}_s']:.2f}", f"{result[f'{step}_cpu_s']:.2f}")
    table.add_row("peak memory (MB)", f"{result['peak_mb']:.0f}", "")
    console.print(table)
    path = REPO / "benchmarks" / "results" / "data_span.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"date": date.today().isoformat(), "load_average": load, "runs": runs, "median": result}
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    console.print(f"→ {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--symbols", type=int, default=5500)
    parser.add_argument("--sessions", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--part", choices=("all", "load", "append", "span"), default="all")
    parser.add_argument("--span-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.span_child:
        print(json.dumps(span_child()))
        return
    console = Console()
    if args.part == "span":
        main_span(args, console)
        return
    if args.part in ("all", "append"):
        main_append(args, console)
        if args.part == "append":
            return
    with tempfile.TemporaryDirectory(prefix="alphamoe-bench-data-") as tmp:
        work = Path(tmp)
        console.print("importing the real folder …")
        imported = bench_import(work)
        console.print(f"generating {args.symbols:,} stocks × {args.sessions} sessions …")
        loaded = bench_load(work, args.symbols, args.sessions, args.repeat)
    load = os.getloadavg()[0]
    title = f"market data (median of {args.repeat}; load average {load:.1f} on {os.cpu_count()} cores: indicative)"
    table = Table(title=title, title_justify="left")
    for column in ("measure", "alphamoe", "baseline", "goal"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    if "rows" in imported:
        table.add_row("import real folder (rows/s)", f"{imported['rows_per_s']:,.0f}",
                      f"{imported['read_csv_rows_per_s']:,.0f} bare read_csv", "")  # fmt: skip
    n = f"{args.symbols:,}×{args.sessions}"
    for where in ("local", "s3"):
        goal = GOALS[f"panel_{where}_s"]
        mark = "✓" if loaded[f"panel_{where}_s"] <= goal else "✗"
        cpu = f"{loaded[f'panel_{where}_cpu_s']:.3f} s CPU"
        table.add_row(f"panel {n} from {where} (s)", f"{loaded[f'panel_{where}_s']:.3f}", cpu, f"≤ {goal} {mark}")
        table.add_row(f"day() cross-section from {where} (s)", f"{loaded[f'day_{where}_s']:.3f}",
                      f"{loaded[f'day_{where}_whole_file_s']:.3f} whole year file", "")  # fmt: skip
        if where == "local":
            table.add_row("scan inputs: panel until D−1 + D's reference (s)", f"{loaded['scan_inputs_local_s']:.3f}",
                          f"{loaded['scan_inputs_local_cpu_s']:.3f} s CPU", "")  # fmt: skip
    table.add_row("Parquet MB per million bars", f"{loaded['mb_per_million_bars']:.1f}", "", "")
    console.print(table)
    result = {"date": date.today().isoformat(), "symbols": args.symbols, "sessions": args.sessions,
              "load_average": os.getloadavg()[0], "import": imported, "load": loaded, "goals": GOALS}  # fmt: skip
    path = REPO / "benchmarks" / "results" / "data.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    console.print(f"→ {path}")


if __name__ == "__main__":
    main()
