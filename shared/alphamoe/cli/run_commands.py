"""CLI verbs that run trading days: `alphamoe run` and `alphamoe demo`."""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from alphamoe.cli.common import console, friendly_errors, load_settings
from alphamoe.cli.route_commands import replay_settings
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore, has_bar_store
from alphamoe.pipeline.run import run_day
from alphamoe.report.render import print_report
from alphamoe.router.config import RouteSettings, check_route

DataOption = Annotated[
    Path | None, typer.Option("--data", help="bar store folder (default $ALPHAMOE_DATA or the per-user folder)")
]


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DataError(f"--date {text!r} is not a date (expected YYYY-MM-DD)") from None


def run(
    day: Annotated[str, typer.Option("--date", help="trading day YYYY-MM-DD")],
    data: DataOption = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="also write the JSON report here")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="print only where the report went")] = False,
    replay: Annotated[
        bool, typer.Option("--replay", help="LLM experts answer from the decision record only: no model calls")
    ] = False,
    route: Annotated[
        str | None,
        typer.Option(
            "--route",
            help="none: quant only, every signal confirmed (as `backtest --route none`); symbolic: the experts "
            "(default $ALPHAMOE_ROUTE__MODE or symbolic)",
        ),
    ] = None,
) -> None:
    """Run one trading day in process: scan → route → size → risk → execute (paper), and report it."""
    with friendly_errors():
        settings = load_settings(data)
        if replay:
            settings = replay_settings(settings)
        if route is not None:
            settings = settings.model_copy(update={"route": RouteSettings(mode=check_route(route))})
        started = time.perf_counter()
        result = run_day(settings, _parse_day(day))
        if not quiet:
            print_report(result.report, console)
        if json_out is not None:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(result.json_path, json_out)
        console.print(
            f"report: {result.json_path} · {result.html_path} "
            f"({len(result.report.orders)} orders, {time.perf_counter() - started:.1f} s)"
        )


def demo(
    data: DataOption = None,
    symbols: Annotated[int, typer.Option(help="stocks in the embedded market, if it must be generated")] = 5500,
) -> None:
    """Generate the embedded market if missing, run its latest day, and show every step."""
    from alphamoe.data.synthetic import DEFAULT_END, DEFAULT_SEED, DEFAULT_START, write_market

    with friendly_errors():
        settings = load_settings(data)
        if not has_bar_store(settings.data):
            console.print(f"generating the embedded market ({symbols} stocks) in {settings.data} …")
            write_market(settings.data, symbols=symbols, start=DEFAULT_START, end=DEFAULT_END, seed=DEFAULT_SEED)
        day = BarStore(settings.data).sessions()[-1]
        result = run_day(settings, day)
        print_report(result.report, console)
        console.print(f"report: {result.json_path} · {result.html_path}")
