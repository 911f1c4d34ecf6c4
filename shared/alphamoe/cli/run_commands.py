"""CLI verbs that run trading days: `alphamoe run` and `alphamoe demo`."""

from __future__ import annotations

import shutil
import time
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from alphamoe.cli.common import (
    AllOption,
    DataOption,
    JsonOutOption,
    LegacyJsonFile,
    OutputFormat,
    OutputOption,
    console,
    err_console,
    friendly_errors,
    json_out_file,
    load_settings,
    parse_day,
)

if TYPE_CHECKING:
    from pathlib import Path

    from alphamoe.settings import Settings


def run(
    day: Annotated[str, typer.Option("--date", help="trading day YYYY-MM-DD")],
    data: DataOption = None,
    output: OutputOption = OutputFormat.TABLE,
    json_out: JsonOutOption = None,
    show_all: AllOption = False,
    legacy_json: LegacyJsonFile = None,
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
    quotes: Annotated[
        str | None,
        typer.Option(
            "--quotes",
            help="paper-trade the session on quotes: xtdata (MiniQMT's live quotes, today only) or replay "
            "(a past day's bars as quotes)",
        ),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="with --quotes: end the session at HH:MM (default: the close)")
    ] = None,
    accounts: Annotated[
        str | None,
        typer.Option(
            "--accounts",
            help="several accounts: a JSON list or a TOML file of [[accounts]] (default $ALPHAMOE_ACCOUNTS); "
            "scan and route once, size → risk → execute per account, a report per account and combined",
        ),
    ] = None,
) -> None:
    """Run one trading day in process: scan → route → size → risk → execute (paper), and report it."""
    from alphamoe.cli.route_commands import replay_settings
    from alphamoe.pipeline.run import run_day
    from alphamoe.quotes.wiring import parse_until, quote_source
    from alphamoe.report.render import print_report
    from alphamoe.router.config import RouteSettings, check_route

    json_out = json_out_file(json_out, legacy_json)
    with friendly_errors():
        settings = load_settings(data)
        if replay:
            settings = replay_settings(settings)
        if route is not None:
            settings = settings.model_copy(update={"route": RouteSettings(mode=check_route(route))})
        if accounts is not None:
            settings = settings.model_copy(update={"accounts": accounts})
        if settings.accounts:
            if quotes is not None:
                raise typer.BadParameter("--quotes trades one paper account; drop it with --accounts")
            _run_accounts(settings, parse_day("--date", day), output, json_out)
            return
        started = time.perf_counter()
        if quotes is None:
            result = run_day(settings, parse_day("--date", day))
        else:
            source = quote_source(quotes, settings)
            result = run_day(settings, parse_day("--date", day), quotes=source, until=parse_until(until))
        if output is OutputFormat.JSON:
            typer.echo(result.report.model_dump_json(indent=2))
        elif not quiet:
            print_report(result.report, console, limit=None if show_all else 15)
        if json_out is not None:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(result.json_path, json_out)
        (err_console if output is OutputFormat.JSON else console).print(
            f"report: {result.json_path} · {result.html_path} "
            f"({len(result.report.orders)} orders, {time.perf_counter() - started:.1f} s)"
        )


def _run_accounts(settings: Settings, day: date, output: OutputFormat, json_out: Path | None) -> None:
    """Several accounts (issue 20): the per-account lines and the combined one; JSON: the combined report."""
    from alphamoe.accounts.report import accounts_folder, read_combined, summary_lines
    from alphamoe.pipeline.several import run_accounts_day

    started = time.perf_counter()
    run_accounts_day(settings, day)
    combined = read_combined(settings.runs_dir, day)
    if output is OutputFormat.JSON:
        typer.echo(combined.model_dump_json(indent=2))
    else:
        for line in summary_lines(combined):
            console.print(line, markup=False, highlight=False)
    path = accounts_folder(settings.runs_dir, day) / "report.json"
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, json_out)
    (err_console if output is OutputFormat.JSON else console).print(
        f"reports: {path.parent}/<account>/report.json · combined {path} "
        f"({combined.orders} orders, {time.perf_counter() - started:.1f} s)"
    )


def demo(
    data: DataOption = None,
    symbols: Annotated[int, typer.Option(help="stocks in the embedded market, if it must be generated")] = 5500,
    show_all: AllOption = False,
) -> None:
    """Generate the embedded market if missing, run its latest day, and show every step."""
    from alphamoe.data.synthetic import DEFAULT_END, DEFAULT_SEED, DEFAULT_START, write_market
    from alphamoe.market.bars import BarStore, has_bar_store
    from alphamoe.pipeline.run import run_day
    from alphamoe.report.render import print_report

    with friendly_errors():
        settings = load_settings(data)
        if not has_bar_store(settings.data):
            console.print(f"generating the embedded market ({symbols} stocks) in {settings.data} …")
            write_market(settings.data, symbols=symbols, start=DEFAULT_START, end=DEFAULT_END, seed=DEFAULT_SEED)
        day = BarStore(settings.data).sessions()[-1]
        result = run_day(settings, day)
        print_report(result.report, console, limit=None if show_all else 15)
        console.print(f"report: {result.json_path} · {result.html_path}")
