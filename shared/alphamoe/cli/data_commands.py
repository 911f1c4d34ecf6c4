"""`alphamoe data …`: generate the synthetic market, import real daily CSVs and index series, check quality.

Every `--out`/`--data` takes a folder or `s3://bucket/prefix` (endpoint from ALPHAMOE_S3_ENDPOINT_URL or
AWS_ENDPOINT_URL, credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from alphamoe.cli.common import console, friendly_errors, load_settings
from alphamoe.data.quality import Finding
from alphamoe.data.summary import summarize
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore

data_app = typer.Typer(no_args_is_help=True, help="Market data: generate the embedded market or import real CSVs.")

IMPORT_FORMATS = ("ganlei", "akshare", "tushare", "baostock", "qmt")
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", help="bar store: a folder or s3://bucket/prefix (default $ALPHAMOE_DATA or the per-user one)"
    ),
]
DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data", help="bar store: a folder or s3://bucket/prefix (default $ALPHAMOE_DATA or the per-user one)"
    ),
]
IndexOption = Annotated[
    Path | None,
    typer.Option("--index", help="folder of index CSVs (date,open,close,high,low,volume,amount) to import too"),
]


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DataError(f"{option} {text!r} is not a date (expected YYYY-MM-DD)") from None


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _print_summary(store: BarStore, title: str) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in summarize(store).table_rows():
        table.add_row(key, value)
    console.print(table)


@data_app.command()
def generate(
    symbols: Annotated[int, typer.Option(help="stocks in the market, all boards")] = 5500,
    start: Annotated[str, typer.Option(help="first day, YYYY-MM-DD")] = "2025-01-02",
    end: Annotated[str, typer.Option(help="last day, YYYY-MM-DD")] = "2026-06-30",
    seed: Annotated[int, typer.Option(help="random seed: the same seed gives the same market")] = 7,
    out: OutOption = None,
) -> None:
    """Generate the deterministic synthetic A-share market and write it as a bar store."""
    from alphamoe.data.synthetic import write_market

    with friendly_errors():
        first, last = _day(start, "--start"), _day(end, "--end")
        if last < first:
            raise DataError(f"--end {last} is before --start {first}")
        target = load_settings(out).data
        with _progress(f"simulating {symbols:,} stocks") as update:
            store = write_market(target, symbols=symbols, start=first, end=last, seed=seed, progress=update)
        _print_summary(store, f"synthetic market → {target}")


@data_app.command("import")
def import_(
    path: Annotated[Path, typer.Option("--path", help="folder of daily CSV files (or one file)")],
    fmt: Annotated[str, typer.Option("--format", help=f"CSV layout: {', '.join(IMPORT_FORMATS)}")] = "ganlei",
    out: OutOption = None,
    index: IndexOption = None,
) -> None:
    """Import real daily bars into a bar store; rows with unreadable numbers are skipped and counted."""
    from alphamoe.data.sources import write_source
    from alphamoe.data.universe import write_indices

    with friendly_errors():
        if fmt not in IMPORT_FORMATS:
            raise DataError(f"--format {fmt!r} is not supported (supported: {', '.join(IMPORT_FORMATS)})")
        settings = load_settings(out)
        started = time.perf_counter()
        with _progress(f"reading {path}") as update:
            store = write_source(fmt, path, settings.data, s3=settings.s3, progress=update)
        spent = time.perf_counter() - started
        if index is not None:
            console.print(f"indices: {', '.join(write_indices(index, store))}")
        _print_summary(store, f"{fmt} import → {settings.data}")
        meta = store.meta()
        console.print(
            f"{meta.get('rows', 0):,} rows in {spent:.1f} s ({meta.get('rows', 0) / max(spent, 1e-9):,.0f} rows/s)"
        )
        for note in meta.get("notes") or []:
            console.print(f"[yellow]note[/yellow] {note}")
        for example in meta.get("examples") or []:
            console.print(f"[yellow]skipped[/yellow] {example}")
        console.print(
            f"{meta.get('actions_inferred', 0):,} corporate actions inferred from the previous close "
            "(`data check` lists them; `data actions` imports published ones, which replace them)"
        )


@data_app.command("actions")
def actions_(
    path: Annotated[Path, typer.Option("--path", help="a corporate-action CSV, or a folder of them")],
    fmt: Annotated[str, typer.Option("--format", help="layout: tushare (pro.dividend) or akshare (分红/配股)")],
    data: DataOption = None,
) -> None:
    """Import published corporate actions beside the bars: the (stock, ex date)s they bring are replaced."""
    from alphamoe.data.quality import check_actions, session_calendar
    from alphamoe.data.sources import write_actions_source
    from alphamoe.market.bars import has_bar_store

    with friendly_errors():
        settings = load_settings(data)
        result, total = write_actions_source(fmt, path, settings.data, s3=settings.s3)
        report = result.report
        console.print(
            f"{report.rows:,} corporate actions from {report.files} {fmt} file(s) → {settings.data} "
            f"({total:,} stored); {report.skipped_rows:,} rows skipped"
        )
        for reason, count in report.skipped.items():
            console.print(f"[yellow]skipped[/yellow] {count:,} × {reason}")
        for example in report.examples:
            console.print(f"[yellow]skipped[/yellow] {example}")
        if not has_bar_store(settings.data, s3=settings.s3):
            console.print("[yellow]no bars in this store: the actions are not checked against prices[/yellow]")
            return
        bars = BarStore(settings.data, s3=settings.s3).frame(columns=["date", "symbol", "close", "prev_close"])
        bars = bars[bars["symbol"].isin({a.symbol for a in result.actions})]
        if bars.empty:
            console.print("[yellow]no bars of these stocks: the actions are not checked against prices[/yellow]")
            return
        calendar = session_calendar(bars["date"].min(), bars["date"].max())
        faults = [f for f in check_actions(result.actions, bars, calendar) if f.rule != "action_inferred"]
        for finding in faults:
            console.print(f"{finding.symbol} {finding.day} [bold]{finding.rule}[/bold] {finding.detail}")
        console.print(f"{len(faults):,} findings against the prices and the calendar")


@data_app.command("index")
def index_(
    path: Annotated[Path, typer.Option("--path", help="folder of index CSVs, one per index (sh000300.csv …)")],
    out: OutOption = None,
) -> None:
    """Import index series (benchmarks, and the SSE Composite as the calendar outside XSHG coverage) beside the bars."""
    from alphamoe.data.universe import write_indices

    with friendly_errors():
        settings = load_settings(out)
        store = BarStore(settings.data, s3=settings.s3)
        console.print(f"indices → {settings.data}: {', '.join(write_indices(path, store))}")


@data_app.command("check")
def check(
    data: DataOption = None,
    calendar_index: Annotated[
        str, typer.Option("--calendar-index", help="imported index: the calendar outside XSHG coverage")
    ] = "SSE",
    json_out: Annotated[Path | None, typer.Option("--json", help="write every finding here as JSON")] = None,
    show: Annotated[int, typer.Option("--show", help="findings to print per rule")] = 5,
    strict: Annotated[
        bool, typer.Option("--strict", help="exit 1 when there is any finding but informational ones")
    ] = False,
) -> None:
    """Check a bar store: OHLC, limit bands, calendar gaps, duplicates, zero volume, stale names, units, actions."""
    from alphamoe.data.quality import INFORMATIONAL, RULES, check_store
    from alphamoe.data.universe import index_sessions

    with friendly_errors():
        settings = load_settings(data)
        store = BarStore(settings.data, s3=settings.s3)
        try:
            sessions = index_sessions(store, calendar_index)
        except DataError:
            console.print(
                f"[yellow]no index {calendar_index} imported: only exchange_calendars' XSHG sessions count[/yellow]"
            )
            sessions = []
        findings = check_store(store, sessions)
        table = Table(title=f"data check · {settings.data}", title_justify="left")
        for column in ("rule", "findings", "first", "what it checks"):
            table.add_column(column)
        by_rule: dict[str, list[Finding]] = {}
        for finding in findings:
            by_rule.setdefault(finding.rule, []).append(finding)
        for rule, meaning in RULES.items():
            hits = by_rule.get(rule, [])
            first = f"{hits[0].symbol} {hits[0].day}" if hits else ""
            table.add_row(rule, f"{len(hits):,}", first, meaning)
        console.print(table)
        for rule, hits in by_rule.items():
            for finding in hits[:show]:
                console.print(f"{finding.symbol} {finding.day} [bold]{rule}[/bold] {finding.detail}")
        if json_out is not None:
            rows = [
                {"symbol": f.symbol, "day": f.day.isoformat(), "rule": f.rule, "detail": f.detail} for f in findings
            ]
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        console.print(f"{len(findings):,} findings")
        if strict and any(f.rule not in INFORMATIONAL for f in findings):
            raise typer.Exit(1)
