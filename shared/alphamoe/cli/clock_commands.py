"""CLI verbs of the trading day's clock and its report: `alphamoe schedule …` and `alphamoe report`."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from alphamoe.cli.common import (
    AllOption,
    LegacyJsonSwitch,
    OutputFormat,
    OutputOption,
    console,
    err_console,
    friendly_errors,
    output_format,
    parse_day,
)
from alphamoe.cli.fabric_commands import DataOption, fabric_core_settings, fabric_settings
from alphamoe.errors import ConfigurationError

if TYPE_CHECKING:
    from alphamoe.clock.ledger import ClockRecord
    from alphamoe.clock.schedule import TickKind

schedule_app = typer.Typer(
    invoke_without_command=True,
    no_args_is_help=False,
    help="Fire market.open / market.close once per XSHG session (foreground), or one tick, or serve PingSource.",
)

TICKS = {"market-open": "market.open", "market-close": "market.close", "data-update": "data.update"}
"""A tick's name on the command line → its `TickKind` value."""


def _day(text: str | None) -> date | None:
    return None if text is None else parse_day("--date", text)


def _tick(name: str) -> TickKind:
    if name not in TICKS:
        raise ConfigurationError(f"unknown tick {name!r}; expected one of {', '.join(TICKS)}")
    from alphamoe.clock.schedule import TickKind

    return TickKind(TICKS[name])


def _say(record: ClockRecord) -> None:
    colours = {"claimed": "green", "ready": "green", "duplicate": "yellow", "stale": "yellow"}
    colour = colours.get(record.status.value, "red")
    console.print(
        f"[{colour}]{record.event.value} {record.trading_day} {record.status.value}[/{colour}]"
        f"{f' run {record.run_id}' if record.run_id else ''}: {record.note}"
    )


def _warn(exc: Exception) -> None:
    err_console.print(f"[bold red]clock:[/bold red] {exc} (retrying at the next wake-up)")


@schedule_app.callback()
def schedule(ctx: typer.Context, data: DataOption = None) -> None:
    """Run the clock in the foreground: catch up on a missed tick, then fire each tick at its time."""
    if ctx.invoked_subcommand is not None:
        return
    import time

    from alphamoe.clock.runner import run_schedule
    from alphamoe.clock.schedule import next_tick
    from alphamoe.clock.wiring import cluster_clock

    with friendly_errors():
        settings = fabric_settings(data)
        clock = cluster_clock(settings)
        cfg = settings.clock
        console.print(
            f"clock: market.open {cfg.market_open:%H:%M}, market.close {cfg.market_close:%H:%M} {cfg.timezone} "
            f"on XSHG sessions; next {next_tick(clock.now(), cfg).at:%Y-%m-%d %H:%M} (Ctrl-C to stop)"
        )
        try:
            run_schedule(clock, sleep=time.sleep, on_record=_say, on_error=_warn)
        except KeyboardInterrupt:
            console.print("clock stopped")


@schedule_app.command("fire")
def fire(
    tick: Annotated[str, typer.Argument(help="market-open | market-close | data-update")],
    day: Annotated[
        str | None, typer.Option("--date", help="trading day YYYY-MM-DD (default: today in Shanghai)")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="run again even if the day was claimed: a new run id")] = False,
    trigger: Annotated[str, typer.Option(help="who fires, for the record (cronjob, manual…)")] = "manual",
    report: Annotated[
        bool,
        typer.Option(
            help="after market.close, wait for the fabric and write the day's report (needs execute's runs folder)"
        ),
    ] = True,
    data: DataOption = None,
) -> None:
    """Fire one tick now through the once-per-session claim (the CronJob's command; by hand with --force)."""
    from alphamoe.clock.wiring import build_clock, evening_step

    with friendly_errors():
        settings = fabric_settings(data)
        clock = build_clock(settings, report=report, data=evening_step(settings))
        _say(clock.fire(_tick(tick), day=_day(day), trigger=trigger, force=force))


@schedule_app.command("catch-up")
def catch_up(data: DataOption = None) -> None:
    """Handle today's due ticks that nobody claimed (what a returning cluster does)."""
    from alphamoe.clock.wiring import build_clock

    with friendly_errors():
        for record in build_clock(fabric_settings(data)).catch_up():
            _say(record)


@schedule_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8080,
) -> None:
    """Serve the PingSource receiver over HTTP (the clock's container entry point in Knative)."""
    from alphamoe.clock.serve import serve_receiver

    serve_receiver(host, port)


def report(
    day: Annotated[str, typer.Option("--date", help="trading day YYYY-MM-DD")],
    output: OutputOption = OutputFormat.TABLE,
    run: Annotated[
        bool, typer.Option("--run", help="run the day in process first (alphamoe run) and report it")
    ] = False,
    build: Annotated[bool, typer.Option("--build", help="rebuild from Redis Streams (ALPHAMOE_REDIS_URL)")] = False,
    run_id: Annotated[str | None, typer.Option("--run-id", help="a given run of the day (default: the latest)")] = None,
    data: DataOption = None,
    show_all: AllOption = False,
    legacy_json: LegacyJsonSwitch = False,
) -> None:
    """Print the day's end-of-day report (equity vs benchmark, verdicts and reasons, rejections, cost, latency)."""
    from alphamoe.report.store import ReportStore, report_location

    with friendly_errors():
        # every setting to run or rebuild the day; to read it, the core alone (issue 18: start ≤ 0.3 s)
        full = fabric_settings(data) if run or build else None
        settings = full if full is not None else fabric_core_settings(data)
        the_day = _day(day)
        assert the_day is not None
        store = ReportStore.open(report_location(settings))
        if full is not None and run:
            from alphamoe.pipeline.run import run_day
            from alphamoe.report.assemble import from_day_run

            store.save(from_day_run(full, run_day(full, the_day)))
        elif full is not None:  # --build
            from alphamoe.report.assemble import rebuild_from_redis

            store.save(rebuild_from_redis(full, the_day, run_id))
        eod = store.load(the_day, run_id)
        if output_format(output, legacy_json) is OutputFormat.JSON:
            typer.echo(json.dumps(eod.model_dump(mode="json"), indent=2, ensure_ascii=False))
            return
        from alphamoe.report.page import print_end_of_day  # the tables: not for -o json

        print_end_of_day(eod, console, limit=None if show_all else 20)
        console.print(f"report: {store.where(the_day)}")
