"""An unattended season (issue 16 item 7): `cluster up --schedule` with an accelerated clock runs ≥ 20 sessions
by itself, with three faults, and its account is compared with the same sessions run in process.

The local cluster (real Redis, five function processes, the bridge) runs from a store that ends before the
season; each evening the clock's data step appends the day from a stand-in vendor (tests/support/store_vendor.py,
the days of the full synthetic store), market.open passes the freshness gate, the functions trade the day on
replayed quotes of the full store (ALPHAMOE_QUOTES__SOURCE=replay) on its opening rows, market.close feeds the
session and snapshots the account, the end-of-day report is written, then the next day. Faults: the vendor
down one evening (two failed attempts, then the retry succeeds), the execute function SIGKILLed mid-session
(its paper counter dies with resting orders; the journal rebuilds it), Redis SIGKILLed mid-session (the
supervisor restarts it from its AOF). Baseline, same run: the same sessions with `run_day` in process on the
final store (bar fills). Printed per phase (real seconds) and written to benchmarks/results/season.json.

    python benchmarks/bench_season.py [--sessions 20] [--seconds-per-session 3] [--symbols 600]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from datetime import time as wall
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.live_vs_backtest import differences  # noqa: E402
from support.season import Fault, account_differences, kill_function, kill_redis, run_in_process, run_season  # noqa: E402

from alphamoe.data.synthetic import write_market  # noqa: E402
from alphamoe.market.bars import BarStore  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHASES = ("update_s", "open_to_orders_s", "close_s", "report_s")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds-per-session", type=float, default=3.0)
    parser.add_argument("--symbols", type=int, default=600)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "season.json")
    args = parser.parse_args(argv)
    console = Console()
    tmp = Path(tempfile.mkdtemp(prefix="bench-season-"))
    full = tmp / "market"
    write_market(full, symbols=args.symbols, start=date(2024, 1, 2), end=date(2025, 3, 31), seed=11)
    days = BarStore(full).sessions()[-args.sessions :]
    at = lambda k, h: datetime.combine(days[k], wall(h), tzinfo=SHANGHAI)  # noqa: E731
    faults = [
        Fault(at(len(days) // 3, 11), "execute SIGKILLed mid-session", kill_function("execute")),
        Fault(at(2 * len(days) // 3, 11), "Redis SIGKILLed mid-session", kill_redis),
    ]
    outage = {days[len(days) // 2]: 2}
    console.print(f"season {days[0]} … {days[-1]} ({len(days)} sessions), {args.symbols} stocks, in {tmp}")

    started = time.perf_counter()
    season = run_season(
        full, tmp / "season", days, seconds_per_session=args.seconds_per_session, outages=outage, faults=faults
    )
    season_s = time.perf_counter() - started
    started = time.perf_counter()
    reference, account = run_in_process(tmp / "season" / "store", tmp / "in-process", days)
    in_process_s = time.perf_counter() - started

    diff = differences(season.span, reference)
    account_diff = account_differences(season.account, account)
    same = not any(diff.values()) and not account_diff

    table = Table(title=f"unattended season: {len(days)} sessions, real seconds per phase")
    for column in ("day", *PHASES):
        table.add_column(column, justify="right")
    for day, phase in season.phases.items():
        table.add_row(day.isoformat(), *(f"{phase[p]:.3f}" for p in PHASES))
    medians = {p: round(statistics.median(ph[p] for ph in season.phases.values()), 3) for p in PHASES}
    maxima = {p: round(max(ph[p] for ph in season.phases.values()), 3) for p in PHASES}
    table.add_row("median", *(f"{medians[p]:.3f}" for p in PHASES))
    table.add_row("max", *(f"{maxima[p]:.3f}" for p in PHASES))
    console.print(table)
    console.print(f"faults: {season.faults_done}; vendor failures: {[d.isoformat() for d in season.vendor_failures]}")
    console.print(f"function restarts {season.function_restarts}, redis restarts {season.redis_restarts}")
    paced_s = len(days) * args.seconds_per_session  # the clock's own pace: session days, nothing between
    console.print(
        f"season {season_s:.1f} s = cluster start {season.startup_s:.1f} s + paced clock {paced_s:.1f} s + work and "
        f"stop {season_s - season.startup_s - paced_s:.1f} s; in process {in_process_s:.1f} s; fills "
        f"{len(season.span.fills)} vs {len(reference.fills)}; account equal: {same}"
    )
    result: dict[str, Any] = {
        "sessions": len(days),
        "first": days[0].isoformat(),
        "last": days[-1].isoformat(),
        "symbols": args.symbols,
        "seconds_per_session": args.seconds_per_session,
        "season_s": round(season_s, 1),
        "cluster_start_s": round(season.startup_s, 1),
        "paced_clock_s": paced_s,
        "in_process_baseline_s": round(in_process_s, 1),
        "phase_median_s": medians,
        "phase_max_s": maxima,
        "phases_s": {d.isoformat(): p for d, p in season.phases.items()},
        "faults": season.faults_done,
        "vendor_outage": {d.isoformat(): n for d, n in outage.items()},
        "vendor_failures": [d.isoformat() for d in season.vendor_failures],
        "function_restarts": season.function_restarts,
        "redis_restarts": season.redis_restarts,
        "fills": len(season.span.fills),
        "fills_in_process": len(reference.fills),
        "closing_cash": str(season.account.cash),
        "closing_cash_in_process": str(account.cash),
        "equity_last": str(season.span.equity[days[-1]]),
        "equity_last_in_process": str(reference.equity[days[-1]]),
        "account_equal": same,
        "differences": {k: [str(x) for x in v] for k, v in diff.items() if v},
        "account_differences": account_diff,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(tmp, ignore_errors=True)  # the market, the season's store and runs: regenerated each run
    return result


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome["account_equal"] else 1)
