"""Time the event fabric on loopback with real Redis: bridge throughput and hop latency, per-function cold
start, and a whole day through the local cluster beside the in-process run of the same day.

Goals (issue 5): ≥ 2,000 events/s through the bridge to a trivial function, p99 hop ≤ 10 ms, every cold start
≤ 3 s (scan included), the local-cluster day ≤ 2× the in-process day. Printed side by side, written to
benchmarks/results/fabric.json. Timings on a loaded machine are indicative. Every hop is signed with the
event key and verified by the guard in front of the function, as in production (issue 17).

    python benchmarks/bench_fabric.py [--data DIR] [--events 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".alphamoe" / "bench-fabric-market"
SECRET = "bench-fabric-approval-secret-0123456789"  # ≥ 32 bytes, as risk and execute require
EVENT_KEY = "bench-fabric-event-key-5b0e7c4a91d2f386"  # signs hops and run tokens (ALPHAMOE_EVENT_KEY)
KEYS = {"ALPHAMOE_APPROVAL_SECRET": SECRET, "ALPHAMOE_EVENT_KEY": EVENT_KEY}
ECHO = """
import asyncio, json, os, signal, socket, sys, time, uvicorn
from func_python.cloudevent import ASGIApplication
from alphamoe.bus.memory import InMemoryBus
from alphamoe.functions.guard import ENVELOPE, EnvelopeGuard, HopPolicy
from alphamoe.functions.telemetry import FunctionMetrics
port, out = int(sys.argv[1]), sys.argv[2]
RECEIVED = {}
class Echo:
    # guarded like every function: the hop's signature verified and the envelope validated before handle
    policy = HopPolicy(os.environ["ALPHAMOE_EVENT_KEY"].encode(), 1 << 20, 30.0)
    bus, metrics = InMemoryBus(), FunctionMetrics("echo")
    async def handle(self, scope, receive, send):
        send = getattr(send, "http", send)
        RECEIVED[scope[ENVELOPE].id] = time.time()
        await send({"type": "http.response.start", "status": 202, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
    def stop(self):  # func-python calls it at lifespan shutdown (SIGTERM): write what was received
        with open(os.path.join(out, f"{os.getpid()}.json"), "w") as f: json.dump(RECEIVED, f)
# Several processes share the port (SO_REUSEPORT), as Knative would scale a function to several pods.
sock = socket.socket(); sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
sock.bind(("127.0.0.1", port)); sock.listen(1024); sock.set_inheritable(True)
# Served like every function (alphamoe.functions.serve): the guard, func-python's app, uvicorn + httptools + uvloop.
echo = Echo()
config = uvicorn.Config(EnvelopeGuard(ASGIApplication(echo), echo), http="httptools", loop="uvloop", lifespan="on",
                        access_log=False, log_level="error")
uvicorn.Server(config).run(sockets=[sock])
"""


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


def _wait_acked(client: Any, stream: str, group: str, *, timeout_s: float) -> None:
    """Wait until `group` has read and acked all of `stream`: two cheap commands a poll, unlike `wait_quiet`
    (which asks about every stream, and at a 10 ms poll would take CPU from the very processes measured)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        last = client.xinfo_stream(stream)["last-generated-id"]
        [info] = [g for g in client.xinfo_groups(stream) if g["name"] == group]
        if info["last-delivered-id"] == last and info["pending"] == 0:
            return
        time.sleep(0.01)
    raise RuntimeError(f"{group} did not ack {stream} within {timeout_s} s")


def bench_bridge(workdir: Path, events: int, echo_workers: int, concurrency: int) -> dict[str, Any]:
    """Events/s through the bridge (a burst) and hop latency publish → function (paced, 500/s).

    The trivial function runs as `echo_workers` processes on one port: served like every function
    (func-python on uvicorn + httptools + uvloop).
    """
    from alphamoe.bridge.subscriptions import write_subscriptions
    from alphamoe.bus.progress import wait_quiet
    from alphamoe.bus.redis import RedisBus, stream_of
    from alphamoe.events import build_event, event_type_of
    from alphamoe.events.payloads import MarketOpen
    from alphamoe.kv.server import LocalRedis, free_port

    redis_server = LocalRedis(workdir / "redis-bridge").start()
    port = free_port()
    received_dir = workdir / "echo-received"
    received_dir.mkdir()
    echoes = [
        subprocess.Popen(
            [sys.executable, "-c", ECHO, str(port), str(received_dir)],
            env={**os.environ, **KEYS},
            stderr=subprocess.DEVNULL,
        )
        for _ in range(echo_workers)
    ]
    url = f"http://127.0.0.1:{port}"
    open_type = event_type_of(MarketOpen)
    subs = write_subscriptions(workdir / "subs.yaml", {"scan": (open_type,)}, {"scan": url})
    bus = RedisBus.from_url(redis_server.url)
    bus.ensure_groups([(stream_of(open_type), "scan")])
    env = {
        **os.environ,
        **KEYS,
        "ALPHAMOE_REDIS_URL": redis_server.url,
        "ALPHAMOE_FABRIC__CONCURRENCY": str(concurrency),
    }
    bridge = subprocess.Popen(
        [sys.executable, "-m", "alphamoe.cli", "bridge", "--subscriptions", str(subs), "--consumer", "bench"],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_http(url)

        def batch(prefix: str, n: int) -> list[Any]:
            return [
                build_event(MarketOpen(trading_day=date(2025, 3, 31)), run_id=f"{prefix}{i}", source="/b")
                for i in range(n)
            ]

        bus.publish_all(batch("warm", 200))
        wait_quiet(bus.client, timeout_s=60)
        burst = batch("burst", events)
        start = time.perf_counter()
        for i in range(0, events, 500):
            bus.publish_all(burst[i : i + 500])
        _wait_acked(bus.client, stream_of(open_type), "scan", timeout_s=300)
        rate = events / (time.perf_counter() - start)
        paced = batch("paced", 1000)
        published: dict[str, float] = {}
        for event in paced:
            published[event.id] = time.time()
            bus.publish(event)
            time.sleep(0.002)
        wait_quiet(bus.client, timeout_s=60)
        for echo in echoes:  # each worker writes what it received when told to stop
            echo.terminate()
            echo.wait(30)
        received: dict[str, float] = {}
        for part in received_dir.glob("*.json"):
            received.update(json.loads(part.read_text()))
        hops = sorted((received[i] - t) * 1000 for i, t in published.items() if i in received)
        return {
            "events": events,
            "events_per_s": rate,
            "hop_p50_ms": statistics.median(hops),
            "hop_p99_ms": hops[int(len(hops) * 0.99) - 1],
            "delivered_paced": len(hops),
            "echo_workers": echo_workers,
            "concurrency": concurrency,
        }
    finally:
        bridge.terminate()
        bridge.wait(10)
        for echo in echoes:
            echo.terminate()
            echo.wait(10)
        redis_server.stop()


def _reference(data: Path, day: date, runs: Path) -> list[Any]:
    from alphamoe.pipeline.run import run_day
    from alphamoe.settings import Settings

    # the servers' key: the roots' run tokens verify there
    return list(run_day(Settings(data=data, runs=runs, approval_secret=SECRET, event_key=EVENT_KEY), day).events)


def bench_cold_starts(workdir: Path, data: Path, day: date) -> dict[str, float]:
    """Process start → first event answered, per function, each with Redis as in the cluster.

    Started by the lean entry point (`python -m alphamoe.functions.serve`), which does not import the CLI.
    """
    from alphamoe.events import event_type_of, to_http
    from alphamoe.events import payloads as ev
    from alphamoe.kv.server import LocalRedis, free_port
    from alphamoe.security import hops

    events = _reference(data, day, workdir / "cold-ref")
    first = {
        "scan": ev.MarketOpen,
        "route": ev.SignalGenerated,
        "size": ev.ScanCompleted,
        "risk": ev.OrderProposed,
        "execute": ev.OrderApproved,
    }
    redis_server = LocalRedis(workdir / "redis-cold").start()
    env = {
        **os.environ,
        "ALPHAMOE_DATA": str(data),
        "ALPHAMOE_RUNS": str(workdir / "cold-runs"),
        "ALPHAMOE_REDIS_URL": redis_server.url,
        **KEYS,
    }
    results: dict[str, float] = {}
    try:
        for name, model in first.items():
            event = next(e for e in events if e.type == event_type_of(model))
            headers, body = to_http(event)
            headers = hops.signed(headers, body, EVENT_KEY.encode())  # as the bridge sends it
            port = free_port()
            started = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "alphamoe.functions.serve", name, "--port", str(port)],
                env=env,
                stderr=subprocess.DEVNULL,
            )
            try:
                while True:
                    try:
                        response = httpx.post(f"http://127.0.0.1:{port}", headers=headers, content=body, timeout=120)
                        if response.status_code < 300:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.01)
                results[name] = time.perf_counter() - started
            finally:
                proc.terminate()
                proc.wait(20)
    finally:
        redis_server.stop()
    return results


def bench_day(workdir: Path, data: Path, warm_day: date, day: date) -> dict[str, Any]:
    """The same day in process (warm, median of 3) and through the local cluster (warm), same orders required."""
    from alphamoe.cluster.day import run_day_on_fabric
    from alphamoe.cluster.supervisor import LocalCluster
    from alphamoe.settings import Settings

    _reference(data, warm_day, workdir / "inproc-warm")
    timings = []
    for k in range(3):  # the denominator of the ratio: the median of three fresh runs, not one noisy one
        start = time.perf_counter()
        reference = _reference(data, day, workdir / f"inproc-{k}")
        timings.append(time.perf_counter() - start)
    in_process = statistics.median(timings)
    settings = Settings(data=data, runs=workdir / "cluster-runs", approval_secret=SECRET, event_key=EVENT_KEY)
    cluster = LocalCluster(workdir / "cluster", settings).up(timeout_s=180)
    try:
        fabric_settings = Settings(
            data=data, runs=settings.runs_dir, redis_url=cluster.redis_url, approval_secret=SECRET, event_key=EVENT_KEY
        )
        run_day_on_fabric(fabric_settings, warm_day, timeout_s=300)
        result = run_day_on_fabric(fabric_settings, day, timeout_s=300)
    finally:
        cluster.down()
    kinds = ("order.proposed", "order.approved", "order.rejected", "order.filled")

    def terms(event: Any) -> str:
        # an approval's expiry (and so its signature) is the time it was signed: compare what it approved
        payload = event.payload.order if event.type.endswith("order.approved") else event.payload
        return str(payload.model_dump_json())

    def orders(found: list[Any]) -> list[str]:
        return sorted(terms(e) for e in found if e.type.removeprefix("com.alphamoe.") in kinds)

    if orders(result.events) != orders(reference):
        print("cluster only:", sorted(set(orders(result.events)) - set(orders(reference)))[:3])
        print("in-process only:", sorted(set(orders(reference)) - set(orders(result.events)))[:3])

    return {
        "day": str(day),
        "in_process_s": in_process,
        "cluster_s": result.seconds,
        "ratio": result.seconds / in_process,
        "same_orders": orders(result.events) == orders(reference),
        "orders": len(orders(reference)),
    }


def _market(data: Path) -> Path:
    from alphamoe.data.synthetic import write_market

    if not (data / "bars").is_dir():
        print(f"generating a 600-stock market in {data} …")
        write_market(data, symbols=600, start=date(2024, 1, 2), end=date(2025, 3, 31), seed=11)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--echo-workers", type=int, default=2, help="processes serving the trivial function")
    parser.add_argument("--concurrency", type=int, default=16, help="bridge deliveries in flight")
    parser.add_argument("--parts", default="bridge,cold,day", help="which measures to run (comma-separated)")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    from alphamoe.market.bars import BarStore

    data = _market(args.data)
    sessions = BarStore(data).sessions()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bridge = bench_bridge(workdir, args.events, args.echo_workers, args.concurrency) if "bridge" in parts else {}
        cold = bench_cold_starts(workdir, data, sessions[-1]) if "cold" in parts else {}
        day = bench_day(workdir, data, sessions[-1], sessions[-2]) if "day" in parts else {}
    table = Table(title="event fabric on loopback, real Redis (indicative on a loaded machine)")
    for column in ("measure", "alphamoe", "goal", "baseline"):
        table.add_column(column)
    if bridge:
        label = f"bridge events/s ({bridge['echo_workers']} echo proc, {bridge['concurrency']} in flight)"
        table.add_row(label, f"{bridge['events_per_s']:,.0f}", "≥ 2,000", "")
        table.add_row("hop p50 / p99 ms", f"{bridge['hop_p50_ms']:.2f} / {bridge['hop_p99_ms']:.2f}", "p99 ≤ 10", "")
    for name, seconds in cold.items():
        table.add_row(f"cold start {name}", f"{seconds:.2f} s", "≤ 3 s", "")
    if day:
        table.add_row(
            f"day {day['day']} ({day['orders']} order events)",
            f"cluster {day['cluster_s']:.2f} s ({day['ratio']:.2f}×)",
            "≤ 2×",
            f"in-process {day['in_process_s']:.2f} s",
        )
        table.add_row("same orders as in process", str(day["same_orders"]), "True", "")
    Console().print(table)
    out = REPO / "benchmarks" / "results" / "fabric.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"bridge": bridge, "cold_start_s": cold, "day": day}, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
