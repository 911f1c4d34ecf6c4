"""CLI verbs of the event fabric: bridge, cluster up|down|status, trigger, status, replay, export."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from alphamoe.cli.common import (
    LegacyJsonSwitch,
    OutputFormat,
    OutputOption,
    console,
    friendly_errors,
    load_core_settings,
    load_settings,
    output_format,
    parse_day,
)
from alphamoe.errors import ConfigurationError, DataError, NoTradingDayError
from alphamoe.report.terminal import print_table
from alphamoe.security.redact import redact

if TYPE_CHECKING:
    from alphamoe.clock.ledger import ClockRecord
    from alphamoe.clock.schedule import TickKind
    from alphamoe.settings import Settings
    from alphamoe.settings_core import CoreSettings

AnySettings = TypeVar("AnySettings", bound="CoreSettings")
"""`Settings` or its core: what `fabric_settings` and `fabric_core_settings` return."""

cluster_app = typer.Typer(no_args_is_help=True, help="The local cluster: Redis, five functions, the bridge.")
trigger_app = typer.Typer(no_args_is_help=True, help="Publish the events that start and end a trading day.")

DataOption = Annotated[
    str | None,
    typer.Option(
        "--data", help="bar store: a folder or s3://bucket/prefix (default: the cluster's, else $ALPHAMOE_DATA)"
    ),
]
DirOption = Annotated[Path | None, typer.Option("--dir", help="cluster folder (default <runs>/cluster)")]


def cluster_dir(settings: CoreSettings, directory: Path | None) -> Path:
    return directory if directory is not None else settings.runs_dir / "cluster"


def fabric_settings(data: str | Path | None = None, directory: Path | None = None) -> Settings:
    """Settings for talking to the fabric: Redis and data from the environment, else from the running cluster.

    The cluster's Redis URL (with its password) and event key come from its 0600 files (`cluster.keys`),
    never from `state.json`, which shows the URL masked.
    """
    return _with_cluster(load_settings, data, directory)


def fabric_core_settings(data: str | Path | None = None, directory: Path | None = None) -> CoreSettings:
    """`fabric_settings`' core alone (`load_core_settings`): for the verbs that read the fabric or a finished day."""
    return _with_cluster(load_core_settings, data, directory)


def _with_cluster(load: Callable[..., AnySettings], data: str | Path | None, directory: Path | None) -> AnySettings:
    settings = load(data)
    folder = cluster_dir(settings, directory)
    if settings.redis_url and data is not None:
        return settings
    if (folder / "state.json").exists():
        from alphamoe.cluster.keys import read_access  # what runs a cluster: only where one is
        from alphamoe.cluster.state import read_state

        state = read_state(folder)
        access = read_access(folder)
        return load(
            data or (None if "ALPHAMOE_DATA" in os.environ else str(state["data"])),  # text: s3:// stays whole
            redis_url=settings.redis_url or access.get("redis_url"),
            event_key=settings.event_key or access.get("event_key"),
            runs=settings.runs or Path(state["runs"]),
        )
    return settings


def bridge(
    subscriptions: Annotated[Path, typer.Option(help="subscriptions file (knative/subscriptions.yaml)")],
    consumer: Annotated[str, typer.Option(help="consumer name; stable per replica")] = socket.gethostname(),
    url: Annotated[list[str] | None, typer.Option(help="override a function's URL: name=http://…")] = None,
) -> None:
    """Deliver Redis Streams entries to the functions as HTTP CloudEvents, at least once (XACK after 2xx)."""
    import asyncio

    from alphamoe.bridge.subscriptions import load_subscriptions
    from alphamoe.bridge.worker import run_bridge
    from alphamoe.functions.telemetry import configure_logging
    from alphamoe.security.keys import require_key

    with friendly_errors():
        settings = load_settings()
        if not settings.redis_url:
            raise ConfigurationError("the bridge needs ALPHAMOE_REDIS_URL")
        overrides = dict(u.split("=", 1) for u in url or [])
        subs = load_subscriptions(subscriptions, overrides)
        key = require_key(settings.event_key, "ALPHAMOE_EVENT_KEY")  # every hop is signed with it
        configure_logging("bridge")

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await run_bridge(str(settings.redis_url), subs, settings.fabric, consumer=consumer, key=key, stop=stop)

        asyncio.run(main())


@cluster_app.command("up")
def cluster_up(
    data: DataOption = None,
    directory: DirOption = None,
    foreground: Annotated[bool, typer.Option(help="supervise in this process until Ctrl-C")] = False,
    timeout: Annotated[float, typer.Option(help="seconds to wait for every function to be ready")] = 180.0,
    schedule: Annotated[
        bool,
        typer.Option(
            "--schedule", help="also run the clock: market.open / market.close on XSHG sessions, missed open caught up"
        ),
    ] = False,
) -> None:
    """Start Redis (or use ALPHAMOE_REDIS_URL), the five functions and the bridge on 127.0.0.1."""
    from alphamoe.cluster.supervisor import LocalCluster, read_state

    with friendly_errors():
        settings = load_settings(data)
        folder = cluster_dir(settings, directory)
        if foreground:
            import logging

            # supervisor.log: restarts and, with --schedule, every decision of the clock
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
            logging.getLogger("httpx").setLevel(logging.WARNING)  # not every readiness probe
            cluster = LocalCluster(folder, settings, schedule=schedule).up(timeout_s=timeout)
            stop = {"now": False}
            signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
            try:
                while not stop["now"]:
                    time.sleep(0.2)
            except KeyboardInterrupt:
                pass
            cluster.down()
            return
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "state.json").unlink(missing_ok=True)
        argv = [sys.executable, "-m", "alphamoe.cli", "cluster", "up", "--foreground", "--dir", str(folder)]
        argv += ["--data", str(settings.data), "--timeout", str(timeout)] + (["--schedule"] if schedule else [])
        with (folder / "supervisor.log").open("ab") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout + 10
        while not (folder / "state.json").exists() or not read_state(folder).get("ready"):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (folder / "supervisor.log").read_text(encoding="utf-8", errors="replace")[-2000:]
                raise ConfigurationError(f"the local cluster did not start; {folder / 'supervisor.log'}:\n{tail}")
            time.sleep(0.2)
        _print_cluster(cluster_status(folder), as_json=False)


@cluster_app.command("down")
def cluster_down(directory: DirOption = None) -> None:
    """Stop the local cluster's supervisor, which stops the bridge, the functions and Redis."""
    from alphamoe.cluster.state import read_state

    with friendly_errors():
        folder = cluster_dir(load_settings(), directory)
        pid = int(read_state(folder)["supervisor_pid"])
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            console.print(f"supervisor {pid} was not running")
            return
        deadline = time.monotonic() + 60
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        console.print(f"local cluster in {folder} stopped")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of this process counts as gone
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:
        return True


def cluster_status(folder: Path) -> dict[str, Any]:
    """Return the cluster's state with each process's liveness, each function's readiness and Redis's."""
    from alphamoe.cluster.keys import read_access
    from alphamoe.cluster.supervisor import read_state, ready

    state = read_state(folder)
    state["redis_url"] = redact(state["redis_url"])  # a state file from before masking
    for child in state["children"].values():
        child["alive"] = child["pid"] is not None and _alive(int(child["pid"]))
        child["ready"] = child["alive"] and ready(child["url"])
    state["supervisor_alive"] = _alive(int(state["supervisor_pid"]))
    state["redis_ready"] = _redis_answers(read_access(folder).get("redis_url"))
    return state


def _redis_answers(url: str | None) -> bool:
    from alphamoe.kv.client import connect

    if url is None:
        return False
    try:
        connect(url, timeout=2).close()
    except ConfigurationError:
        return False
    return True


def _print_cluster(state: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(state, indent=2))
        return
    answers = "answering" if state["redis_ready"] else "NOT answering"
    restarts = state.get("redis_restarts", 0)
    rows = [
        [name, child["url"] or "", str(child["pid"]), str(child["alive"]), str(child["ready"]), str(child["restarts"])]
        for name, child in state["children"].items()
    ]
    title = f"local cluster · Redis {redact(state['redis_url'])} ({answers}, {restarts} restarts)"
    print_table(console, title, ("process", "url", "pid", "alive", "ready", "restarts"), rows)
    clock = state.get("schedule")
    if clock:
        alive = "running" if clock.get("alive") else "not running"
        console.print(f"clock: {alive}, {clock['restarts']} restarts; last: {clock['last'] or '(no tick yet)'}")


@cluster_app.command("status")
def cluster_status_command(
    directory: DirOption = None, output: OutputOption = OutputFormat.TABLE, legacy_json: LegacyJsonSwitch = False
) -> None:
    """List each function's URL, pid and health, the bridge's and Redis's (its URL masked); exit 1 if one is down."""
    as_json = output_format(output, legacy_json) is OutputFormat.JSON
    with friendly_errors():
        state = cluster_status(cluster_dir(load_settings(), directory))
        _print_cluster(state, as_json=as_json)
        if not state["redis_ready"] or not all(c["ready"] for c in state["children"].values()):
            raise typer.Exit(1)


def require_traded(settings: Settings, day: date, *, sessions_only: bool = False) -> None:
    """Refuse (exit 2, naming the next session) a day the calendar or the bar store says cannot be traded.

    `sessions_only`: check only a session's bars; a holiday or a day past the calendar is left to the clock's
    ledger, which refuses it with its own record.
    """
    from alphamoe.clock.sessions import require_traded_day
    from alphamoe.market.bars import BarStore
    from alphamoe.market.calendar import TradingCalendar

    sessions = BarStore(settings.data).sessions()
    calendar = TradingCalendar(sessions)
    if not sessions_only or calendar.is_session(day):
        require_traded_day(calendar, sessions, day)


def _fire_by_hand(
    settings: Settings,
    kind: TickKind,
    day: date,
    *,
    force: bool = False,
    run_id: str | None = None,
    report: bool = False,
) -> ClockRecord:
    """Fire a tick for a named day through the clock: XSHG calendar, once-per-session claim, then the bus.

    A day the exchange is shut (holiday, make-up weekend) is refused with exit 2; a second unforced tick of
    the day is acknowledged and ignored; `--force` starts a new run id (the ledger's `-rerunN`).
    """
    from alphamoe.clock.ledger import ClaimStatus
    from alphamoe.clock.wiring import build_clock

    require_traded(settings, day, sessions_only=True)
    clock = build_clock(settings, report=report)
    record = clock.fire(kind, day=day, trigger="manual", force=force, on_demand=True, run_id=run_id)
    if record.status is ClaimStatus.NOT_A_SESSION:
        raise NoTradingDayError(record.note)
    if record.status is ClaimStatus.CLAIMED:
        console.print(f"{kind.value} {day} run {record.run_id}: published ({record.note})")
    else:
        console.print(f"{kind.value} {day}: not published: {record.note}")
    return record


@trigger_app.command("market-open")
def trigger_market_open(
    day: Annotated[str, typer.Option("--date", help="trading day YYYY-MM-DD")],
    data: DataOption = None,
    directory: DirOption = None,
    force: Annotated[bool, typer.Option(help="start a new run even if the day already ran")] = False,
    run_id: Annotated[str | None, typer.Option(help="run id (default: the day's deterministic id)")] = None,
) -> None:
    """Start a day through the clock: checked against the XSHG calendar and claimed once per day in Redis."""
    from alphamoe.clock.schedule import TickKind

    with friendly_errors():
        the_day = parse_day("--date", day)
        _fire_by_hand(fabric_settings(data, directory), TickKind.MARKET_OPEN, the_day, force=force, run_id=run_id)


@trigger_app.command("market-close")
def trigger_market_close(
    day: Annotated[str, typer.Option("--date", help="trading day YYYY-MM-DD")],
    run_id: Annotated[str | None, typer.Option(help="the run to close (default: the day's latest market.open)")] = None,
    data: DataOption = None,
    directory: DirOption = None,
    force: Annotated[bool, typer.Option(help="send market.close again even if this run's close was sent")] = False,
    report: Annotated[
        bool, typer.Option(help="wait for the fabric to finish, then write the day's report (as the clock does)")
    ] = False,
) -> None:
    """End a day through the clock: execute cancels what is open and snapshots the account; once per run."""
    from alphamoe.clock.ledger import ClaimStatus
    from alphamoe.clock.schedule import TickKind

    with friendly_errors():
        settings = fabric_settings(data, directory)
        the_day = parse_day("--date", day)
        record = _fire_by_hand(settings, TickKind.MARKET_CLOSE, the_day, force=force, run_id=run_id, report=report)
        if record.status is ClaimStatus.CLAIMED and not report:
            console.print(f"report: `alphamoe report --date {day} --build` once the fabric is quiet")


@trigger_app.command("day")
def trigger_day(
    day: Annotated[str, typer.Option("--date", help="trading day YYYY-MM-DD")],
    data: DataOption = None,
    directory: DirOption = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for each phase")] = 300.0,
) -> None:
    """Run a whole day on the fabric: market.open, wait until quiet, market.close, wait; print the orders."""
    from alphamoe.cluster.day import run_day_on_fabric

    with friendly_errors():
        settings, the_day = fabric_settings(data, directory), parse_day("--date", day)
        require_traded(settings, the_day)  # before anything is published: no run that can only dead-letter
        result = run_day_on_fabric(settings, the_day, timeout_s=timeout)
        console.print(f"run {result.run_id}: {len(result.events)} events in {result.seconds:.2f} s")
        _print_orders(result.events)


def _print_orders(events: list[Any]) -> None:
    from alphamoe.events.payloads import PREFIX

    rows = []
    for e in events:
        p = e.payload
        kind = e.type.removeprefix(PREFIX)
        if kind == "order.proposed":
            rows.append([kind, e.run_id, p.symbol, str(p.side), str(p.quantity), str(p.limit_price)])
        elif kind in ("order.approved", "order.rejected"):
            rows.append([kind, e.run_id, p.order.symbol, str(p.order.side), str(p.order.quantity), ""])
        elif kind.startswith("order."):
            rows.append([kind, e.run_id, p.symbol, str(p.side), "", str(p.status)])
    print_table(console, "orders", ("event", "run", "symbol", "side", "qty", "price / status"), rows)


def status(
    output: OutputOption = OutputFormat.TABLE,
    data: DataOption = None,
    directory: DirOption = None,
    day: Annotated[
        str | None, typer.Option("--date", help="whose orders to list (default: the latest run's day)")
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", help="list every dead letter (default: the last 10)")] = False,
    legacy_json: LegacyJsonSwitch = False,
) -> None:
    """Show streams, lag, pending, dead letters and the day's orders."""
    from alphamoe.bus.progress import progress
    from alphamoe.bus.triggers import fabric_bus
    from alphamoe.events.payloads import PREFIX
    from alphamoe.report.terminal import more_line

    as_json = output_format(output, legacy_json) is OutputFormat.JSON

    with friendly_errors():
        bus = fabric_bus(fabric_core_settings(data, directory))
        groups = progress(bus.client)
        runs = bus.runs()
        wanted = day or (max(runs.values()) if runs else None)
        orders = [
            e
            for run_id, d in sorted(runs.items())
            if d == wanted
            for e in bus.run_events(run_id)
            if e.type.startswith(PREFIX + "order.")
        ]
        letters = bus.dead_letters()
        if as_json:
            document = {
                "groups": [g.__dict__ for g in groups],
                "dead_letters": [{"id": d.entry_id, "reason": d.reason, "source": d.source} for d in letters],
                "day": wanted,
                "runs": {r: d for r, d in runs.items() if d == wanted},
                "orders": [
                    {"type": e.type, "id": e.id, "run_id": e.run_id, **e.payload.model_dump(mode="json")}
                    for e in orders
                ],
            }
            print(json.dumps(document, indent=2, default=str))
            return
        rows = [
            [g.stream.removeprefix("alphamoe:" + PREFIX), g.group, str(g.length), str(g.lag), str(g.pending)]
            for g in groups
        ]
        print_table(console, "streams", ("stream", "group", "length", "lag", "pending"), rows)
        shown = letters if show_all else letters[-10:]
        earlier = f"\n  {more_line(len(letters) - len(shown))} earlier" if len(shown) < len(letters) else ""
        console.print(
            f"dead letters: {len(letters)}{earlier}"
            + "".join(f"\n  {d.entry_id} [{d.source}] {d.reason[:160]}" for d in shown),
            markup=False,
        )
        console.print(f"day {wanted}: {len(orders)} order events")
        _print_orders(orders)


def export(
    run_id: Annotated[str, typer.Option(help="the run to export")],
    out: Annotated[Path | None, typer.Option(help="JSONL file (default <runs>/exports/<run>.jsonl)")] = None,
    data: DataOption = None,
    directory: DirOption = None,
) -> None:
    """Write a recorded run's CloudEvents from Redis as JSONL (structured mode, publication order)."""
    from alphamoe.bus.replay import export_run
    from alphamoe.bus.triggers import fabric_bus

    with friendly_errors():
        settings = fabric_settings(data, directory)
        path = out or settings.runs_dir / "exports" / f"{run_id}.jsonl"
        count = export_run(fabric_bus(settings), run_id, path)
        console.print(f"{count} events of run {run_id} → {path}")


def replay(
    run_id: Annotated[str | None, typer.Option(help="replay this recorded run from Redis")] = None,
    file: Annotated[Path | None, typer.Option(help="replay an exported JSONL file")] = None,
    until: Annotated[str | None, typer.Option(help="stop once the replay produced this event type")] = None,
    speed: Annotated[str, typer.Option(help="'max', or a factor applied to the recorded gaps")] = "max",
    new_run_id: Annotated[
        str | None, typer.Option(help="run id of the replay (default <original>-replay-<ms>)")
    ] = None,
    data: DataOption = None,
    directory: DirOption = None,
) -> None:
    """Re-publish a recorded run's CloudEvents under a new run id, through the same functions."""
    from alphamoe.bus.replay import read_export, recorded
    from alphamoe.bus.replay import replay as replay_run
    from alphamoe.bus.triggers import fabric_bus
    from alphamoe.events.payloads import PREFIX
    from alphamoe.security.keys import require_key

    with friendly_errors():
        if (run_id is None) == (file is None):
            raise DataError("give exactly one of --run-id and --file")
        settings = fabric_settings(data, directory)
        bus = fabric_bus(settings)
        record = recorded(bus, run_id) if run_id else read_export(file)  # type: ignore[arg-type]
        original = str(record[0].get("runid", "run"))
        target = new_run_id or f"{original}-replay-{time.time_ns() // 1_000_000}"
        factor = None if speed == "max" else float(speed)
        key = require_key(settings.event_key, "ALPHAMOE_EVENT_KEY")  # signs the replay's run tokens
        events = replay_run(bus, record, target, key=key, until=until, speed=factor)
        console.print(f"replayed {original} as {target}: {len(events)} events")
        _print_orders([e for e in events if e.type.startswith(f"{PREFIX}order.")])
