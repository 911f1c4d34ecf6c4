"""RTO of execute: SIGKILL it at random points of a trading day with orders in flight, restart it, and time
it back to reconciled-and-ready; check that no order was lost or sent twice.

Two drills. `gateway`: the broker (a paper broker behind `alphamoe gateway`, its own process) and Redis (the
journal and the approved-order stream) outlive every kill, as a real broker and Redis do; execute holds a
lease per account and day, as a live adapter must. `paper`: the in-process paper broker of the default
deployment dies with execute and is rebuilt from the journal; the day must end as the same orders run
unkilled. Printed beside the goal and the product limit, written to benchmarks/results/rto.json.

With `--accounts 3` (issue 20) each drill runs one execute per account, all killed at once at every kill,
beside the one-account drill measured in the same run as the baseline; written to rto_accounts.json. The
RTO is wall time, so a loaded host inflates it: each drill records the load average and each restart's
CPU seconds to ready (its own process, independent of the load).

    python benchmarks/bench_rto.py [--kills 50] [--orders-per-kill 20] [--seed 7] [--broker gateway|paper|both]
                                   [--accounts 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from alphamoe.broker.drill import DrillBroker, DrillResult

REPO = Path(__file__).resolve().parents[1]
MARKET = REPO / ".alphamoe" / "bench-rto-market"
GOAL_P99_S = 10.0
PRODUCT_LIMIT_S = 300.0
LABELS = {"gateway": "broker in own process", "paper": "in-process paper (rebuilt)"}


def market() -> Path:
    """A small synthetic market (the drill needs one day's bars and prices), generated once."""
    if not (MARKET / "meta.json").exists():
        from alphamoe.data.synthetic import write_market

        write_market(MARKET, symbols=200, start=date(2024, 1, 2), end=date(2024, 6, 28), seed=7)
    return MARKET


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--orders-per-kill", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--broker", choices=("gateway", "paper", "both"), default="both")
    parser.add_argument("--accounts", type=int, default=1, help="execute processes (accounts) killed together")
    args = parser.parse_args()
    from alphamoe.broker.drill import run_drill

    data = market()
    brokers: list[DrillBroker] = ["gateway", "paper"] if args.broker == "both" else [args.broker]
    counts = [args.accounts] if args.accounts == 1 else [1, args.accounts]  # one account: the baseline
    results: dict[str, DrillResult] = {}
    summaries: dict[str, Any] = {}
    for broker in brokers:
        for accounts in counts:
            started, load = time.perf_counter(), os.getloadavg()[0]
            with tempfile.TemporaryDirectory(prefix="alphamoe-rto-") as work:
                orders = args.kills * args.orders_per_kill
                result = run_drill(
                    data,
                    Path(work),
                    kills=args.kills,
                    orders=orders,
                    seed=args.seed,
                    max_run_s=0.6,
                    broker=broker,
                    accounts=accounts,
                )
            name = broker if args.accounts == 1 else f"{broker}-{accounts}-accounts"
            results[name] = result
            wall = round(time.perf_counter() - started, 1)
            summaries[name] = {
                **result.summary(),
                "wall_s": wall,
                "load_avg_1m": [round(load, 2), round(os.getloadavg()[0], 2), os.cpu_count()],  # before, after, cores
                "rto_s": result.rto_s,
            }
    table = Table(title=f"execute RTO: {args.kills} SIGKILLs with orders in flight, per broker")
    table.add_column("measure")
    for r in results.values():
        accounts = f", {r.accounts} accounts" if args.accounts > 1 else ""
        table.add_column(f"alphamoe: {LABELS[r.broker]}{accounts}", justify="right")
    table.add_column("goal", justify="right")
    table.add_column("product limit", justify="right")
    table.add_column("baseline: nautilus", justify="right")
    done = list(results.values())
    table.add_row("RTO p50", *(f"{r.p50:.2f} s" for r in done), "", "", "reconciles at start; no figure")
    limits = (f"≤ {GOAL_P99_S:g} s", f"{PRODUCT_LIMIT_S:g} s", "not stated")
    table.add_row("RTO p99", *(f"{r.p99:.2f} s" for r in done), *limits)
    table.add_row("RTO max", *(f"{max(r.rto_s):.2f} s" for r in done), "", "", "")
    table.add_row("CPU to ready p50 (one process)", *(f"{statistics.median(r.cpu_s):.2f} s" for r in done), "", "", "")
    table.add_row("orders lost", *(str(len(r.lost)) for r in done), "0", "0", "")
    table.add_row("orders sent twice", *(str(len(r.doubled)) for r in done), "0", "0", "")
    table.add_row("journal ≠ broker (paper: ≠ unkilled)", *(str(len(r.mismatched)) for r in done), "0", "0", "")
    Console().print(table)
    out = REPO / "benchmarks" / "results" / ("rto.json" if args.accounts == 1 else "rto_accounts.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summaries, indent=2))
    print(f"written {out}")
    ok = all(r.p99 <= GOAL_P99_S and not (r.lost or r.doubled or r.mismatched) for r in done)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
