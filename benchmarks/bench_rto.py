"""RTO of execute: SIGKILL it at random points of a trading day with orders in flight, restart it, and time
it back to reconciled-and-ready; check that no order was lost or sent twice.

The broker (a paper broker behind `alphamoe gateway`, its own process) and Redis (the journal and the
approved-order stream) outlive every kill, as a real broker and Redis do. Printed beside the goal and the
product limit, written to benchmarks/results/rto.json.

    python benchmarks/bench_rto.py [--kills 50] [--orders-per-kill 12] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
MARKET = REPO / ".alphamoe" / "bench-rto-market"
GOAL_P99_S = 10.0
PRODUCT_LIMIT_S = 300.0


def market() -> Path:
    """A small synthetic market (the drill needs one day's bars and prices), generated once."""
    if not (MARKET / "meta.json").exists():
        from alphamoe.data.synthetic import write_market

        write_market(MARKET, symbols=200, start=date(2024, 1, 2), end=date(2024, 6, 28), seed=7)
    return MARKET


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--orders-per-kill", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from alphamoe.broker.drill import run_drill

    data = market()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="alphamoe-rto-") as work:
        result = run_drill(
            data, Path(work), kills=args.kills, orders=args.kills * args.orders_per_kill, seed=args.seed, max_run_s=0.6
        )
    summary = {**result.summary(), "wall_s": round(time.perf_counter() - started, 1), "rto_s": result.rto_s}
    table = Table(title=f"execute RTO: {args.kills} SIGKILLs with orders in flight (paper broker behind the gateway)")
    table.add_column("measure")
    table.add_column("alphamoe", justify="right")
    table.add_column("goal", justify="right")
    table.add_column("product limit", justify="right")
    table.add_column("baseline: nautilus", justify="right")
    table.add_row("RTO p50", f"{result.p50:.2f} s", "", "", "reconciles at start; no figure")
    table.add_row("RTO p99", f"{result.p99:.2f} s", f"≤ {GOAL_P99_S:g} s", f"{PRODUCT_LIMIT_S:g} s", "not stated")
    table.add_row("RTO max", f"{max(result.rto_s):.2f} s", "", "", "")
    table.add_row("orders lost", str(len(result.lost)), "0", "0", "")
    table.add_row("orders sent twice", str(len(result.doubled)), "0", "0", "")
    table.add_row("journal ≠ broker", str(len(result.mismatched)), "0", "0", "")
    Console().print(table)
    out = REPO / "benchmarks" / "results" / "rto.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2))
    print(f"written {out}")
    ok = result.p99 <= GOAL_P99_S and not (result.lost or result.doubled or result.mismatched)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
