"""Time `alphamoe run` on the embedded 5,500-stock market, cold and warm, beside plain VectorBT.

Each measurement runs in a fresh child process (`--child NAME`), so "cold" includes the interpreter,
the imports and numba compilation, exactly as a function that scales from zero pays them. Printed side
by side, and written to benchmarks/results/run.json.

    python benchmarks/bench_run.py [--data DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
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


def _child_alphamoe_run(data: Path, repeat: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    from alphamoe.market.bars import BarStore
    from alphamoe.pipeline.run import run_day
    from alphamoe.settings import Settings

    imported = time.perf_counter()
    day = BarStore(data).sessions()[-1]

    def once() -> float:
        with tempfile.TemporaryDirectory() as runs:
            start = time.perf_counter()
            result = run_day(Settings(data=data, runs=Path(runs)), day)
            assert result.report.signals
            return time.perf_counter() - start

    first = once()
    warm = [once() for _ in range(repeat)]
    return {"import_s": imported - t0, "first_s": first, "warm_s": statistics.median(warm), "day": str(day)}


def _child_alphamoe_scan(data: Path, repeat: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    from alphamoe.market.bars import BarStore
    from alphamoe.market.reference import pre_open_reference
    from alphamoe.scan.scanner import scan_day
    from alphamoe.strategy.trend_breakout import TrendBreakout

    imported = time.perf_counter()
    store = BarStore(data)
    sessions = store.sessions()
    day = sessions[-1]
    panel, reference = store.panel(until=sessions[-2], lookback=250), pre_open_reference(store, day)
    loaded = time.perf_counter()
    strategy = TrendBreakout()

    def once() -> float:
        start = time.perf_counter()
        assert scan_day(panel, day, reference, strategy).signals
        return time.perf_counter() - start

    first = once()
    warm = [once() for _ in range(repeat)]
    return {"import_s": imported - t0, "load_s": loaded - imported, "first_s": first, "warm_s": statistics.median(warm)}


def _child_vectorbt_scan(data: Path, repeat: int) -> dict[str, Any]:
    """The same TrendBreakout scan as plain pandas + VectorBT calls: the baseline alphamoe must beat."""
    t0 = time.perf_counter()
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    from alphamoe.market.bars import BarStore

    imported = time.perf_counter()
    store = BarStore(data)
    panel = store.panel(until=store.sessions()[-2], lookback=250)
    loaded = time.perf_counter()
    index, columns = pd.DatetimeIndex(panel.dates), list(panel.symbols)
    factor = panel.adjustment_factor()

    def frame(values: Any) -> pd.DataFrame:
        return pd.DataFrame(values, index=index, columns=columns)

    close, high, open_ = frame(panel.close * factor), frame(panel.high * factor), frame(panel.open * factor)
    volume, amount = frame(panel.volume / factor), frame(panel.amount)

    def once() -> float:
        start = time.perf_counter()
        ma5 = vbt.MA.run(close, 5).ma.droplevel(0, axis=1)
        ma20 = vbt.MA.run(close, 20).ma.droplevel(0, axis=1)
        ma10 = vbt.MA.run(close, 10).ma.droplevel(0, axis=1)
        prior_high = high.rolling(20).max().shift(1)
        vol_ratio = volume / volume.rolling(20).mean().shift(1)
        rsi = vbt.RSI.run(close, 14).rsi.droplevel(0, axis=1)
        entries = (
            (close > prior_high)
            & (ma5 > ma20)
            & (amount.rolling(20).mean() >= 2e7)
            & (vol_ratio >= 1.2)
            & (close >= ma10)
        )
        exits = close < ma10
        pf = vbt.Portfolio.from_signals(
            open_, entries.shift(1, fill_value=False), exits.shift(1, fill_value=False), fees=0.0005, freq="1D"
        )
        win_rate = pf.trades.win_rate()
        payoff = pf.trades.winning.returns.mean() / pf.trades.losing.returns.mean().abs()
        volatility = close.pct_change().rolling(20).std().clip(lower=0.005)
        score = (close / prior_high - 1) / volatility + (ma5 / ma20 - 1) / volatility + np.log(vol_ratio)
        last = entries.iloc[-1]
        picked = score.iloc[-1][last].sort_values(ascending=False).head(200)
        assert len(picked) and len(win_rate) and len(payoff) and len(rsi)
        return time.perf_counter() - start

    first = once()
    warm = [once() for _ in range(repeat)]
    return {"import_s": imported - t0, "load_s": loaded - imported, "first_s": first, "warm_s": statistics.median(warm)}


CHILDREN = {
    "alphamoe_run": _child_alphamoe_run,
    "alphamoe_scan": _child_alphamoe_scan,
    "vectorbt_scan": _child_vectorbt_scan,
}


def _spawn(name: str, data: Path, repeat: int) -> dict[str, Any]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, "--data", str(data), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - start
    return result


def _ensure_market(data: Path) -> None:
    if (data / "bars").is_dir():
        return
    from alphamoe.data.synthetic import DEFAULT_END, DEFAULT_SEED, DEFAULT_START, write_market

    print(f"generating the 5,500-stock embedded market in {data} …", flush=True)
    write_market(data, symbols=5500, start=DEFAULT_START, end=DEFAULT_END, seed=DEFAULT_SEED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=sorted(CHILDREN))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.data, args.repeat)))
        return

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    _ensure_market(args.data)
    plan = [
        ("vectorbt_scan", "plain VectorBT scan (baseline)"),
        ("alphamoe_scan", "alphamoe scan stage"),
        ("alphamoe_run", "alphamoe run: whole day"),
    ]
    results: dict[str, dict[str, Any]] = {}
    with Progress() as progress:
        task = progress.add_task("benchmarks", total=len(plan))
        for name, _ in plan:
            progress.update(task, description=name)
            results[name] = _spawn(name, args.data, args.repeat)
            progress.advance(task)
    table = Table(title=f"5,500 stocks × 250 sessions, {results['alphamoe_run']['day']} (2-core machine, same run)")
    for col in ("what", "import s", "load s", "first call s", "cold total s", f"warm median of {args.repeat} s"):
        table.add_column(col, justify="right" if col != "what" else "left")
    for name, label in plan:
        r = results[name]
        load = r.get("load_s")  # the whole-day run reads the store inside its first call
        cold = r["import_s"] + (load or 0.0) + r["first_s"]
        table.add_row(
            label,
            f"{r['import_s']:.2f}",
            "in run" if load is None else f"{load:.2f}",
            f"{r['first_s']:.2f}",
            f"{cold:.2f}",
            f"{r['warm_s']:.3f}",
        )
    Console(width=120).print(table)
    out = REPO / "benchmarks" / "results" / "run.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": str(date.today()), "results": results}, indent=2))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
