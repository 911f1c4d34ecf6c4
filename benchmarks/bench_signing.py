"""Time the trust boundary's per-event cost on a real day's events: signing and verifying a hop, issuing and
verifying a run token, beside the unsigned hop's baseline (the guard's parse of the same event).

The events are every CloudEvent of one in-process day on a synthetic market (market.open, signal.generated
with its features, order.proposed, order.approved, fills, market.close), as the bridge would POST them in
binary mode. Measured per event, in CPU time (on a shared machine wall time mostly measures the others):

- `sign`          `security.hops.signed` (what the bridge adds to each POST);
- `verify`        `security.hops.verify` (what the guard checks before decoding);
- `token issue`   `security.runs.issue` (once per run, by the clock / trigger / run / replay);
- `token verify`  `security.runs.verify` (per root event in every function, per proposal in risk);
- `parse`         `events.envelope.from_http`, the baseline: what an unsigned hop cost before.

Target (issue 17): sign and verify < 0.1 ms each, so the bridge keeps ≥ 2,000 events/s. Printed as a table
per event type; written to benchmarks/results/signing.json.

    python benchmarks/bench_signing.py [--data DIR] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from alphamoe.events.envelope import Envelope, from_http, to_http
from alphamoe.security import hops, runs
from alphamoe.security.keys import generate_key

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".alphamoe" / "bench-signing-market"
TARGET_US = 100.0


def _market(data: Path) -> Path:
    from alphamoe.data.synthetic import write_market

    if not (data / "bars").is_dir():
        print(f"generating a 300-stock market in {data} …")
        write_market(data, symbols=300, start=date(2024, 1, 2), end=date(2024, 12, 31), seed=11)
    return data


def day_events(data: Path, key: str) -> list[Envelope[Any]]:
    """Every event of the market's last session run in process (the last day that traded, of the last five)."""
    from alphamoe.market.bars import BarStore
    from alphamoe.pipeline.run import run_day
    from alphamoe.settings import Settings

    with tempfile.TemporaryDirectory() as runs_dir:
        settings = Settings(data=data, runs=Path(runs_dir), event_key=key, approval_secret=generate_key())
        for day in reversed(BarStore(data).sessions()[-5:]):
            events = list(run_day(settings, day).events)
            if any(e.type.endswith("order.approved") for e in events):
                return events
    return events


def cpu_us(work: Callable[[], object], repeat: int) -> float:
    """CPU microseconds of one call of `work`, the best of `repeat` timed loops of 50 calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time_ns()
        for _ in range(50):
            work()
        best = min(best, (time.process_time_ns() - start) / 50 / 1000)
    return best


def costs(event: Envelope[Any], key: bytes, repeat: int) -> dict[str, float]:
    """Body bytes and the CPU µs of sign, verify, token issue, token verify and parse of one event."""
    headers, body = to_http(event)
    signed = hops.signed(headers, body, key)
    run_id, day, mode = event.run_id, event.trading_day, runs.RunMode.SESSION
    token = runs.issue(key, run_id, day, mode)
    return {
        "body_bytes": len(body),
        "sign_us": cpu_us(lambda: hops.signed(headers, body, key), repeat),
        "verify_us": cpu_us(lambda: hops.verify(signed, body, key), repeat),
        "token_issue_us": cpu_us(lambda: runs.issue(key, run_id, day, mode), repeat),
        "token_verify_us": cpu_us(lambda: runs.verify(key, token, run_id, day), repeat),
        "parse_us": cpu_us(lambda: from_http(headers, body), repeat),
    }


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {"events": len(rows), **{k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}}


def measure(events: list[Envelope[Any]], key: bytes, repeat: int) -> dict[str, dict[str, float]]:
    """Per event type (and over all), the mean of `costs`."""
    by_type: dict[str, list[dict[str, float]]] = defaultdict(list)
    for event in events:
        by_type[event.type.removeprefix("com.alphamoe.")].append(costs(event, key, repeat))
    summary = {kind: _mean(rows) for kind, rows in sorted(by_type.items())}
    summary["all events"] = _mean([r for rows in by_type.values() for r in rows])
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=20, help="timed loops per event (the best is kept)")
    parser.add_argument("--sample", type=int, default=40, help="events measured per type at most")
    args = parser.parse_args()
    key = generate_key()
    events = day_events(_market(args.data), key)
    sampled: dict[str, list[Envelope[Any]]] = defaultdict(list)
    for event in events:
        if len(sampled[event.type]) < args.sample:
            sampled[event.type].append(event)
    summary = measure([e for group in sampled.values() for e in group], key.encode(), args.repeat)
    table = Table(title="per-event cost of the trust boundary, CPU µs (target: sign and verify < 100 µs)")
    for column in ("event type", "n", "body B", "sign", "verify", "token issue", "token verify", "parse (baseline)"):
        table.add_column(column, justify="left" if column == "event type" else "right")
    for kind, row in summary.items():
        table.add_row(
            kind,
            f"{row['events']:.0f}",
            f"{row['body_bytes']:,.0f}",
            *(f"{row[k]:.1f}" for k in ("sign_us", "verify_us", "token_issue_us", "token_verify_us", "parse_us")),
        )
    Console(width=120).print(table)
    overall = summary["all events"]
    worst = max(max(r["sign_us"], r["verify_us"]) for r in summary.values())
    verdict = "met" if worst < TARGET_US else "missed"
    print(
        f"sign {overall['sign_us']:.1f} µs + verify {overall['verify_us']:.1f} µs per event on average "
        f"(worst type {worst:.1f} µs: target {verdict}); the unsigned hop's parse alone: {overall['parse_us']:.1f} µs"
    )
    out = REPO / "benchmarks" / "results" / "signing.json"
    document = {
        "events_in_day": len(events),
        "target_us": TARGET_US,
        "target_met": worst < TARGET_US,
        "load_average": os.getloadavg()[0],
        "results": summary,
    }
    out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"written to {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
