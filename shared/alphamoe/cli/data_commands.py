"""`alphamoe data …`: generate the synthetic market or import real daily CSVs into a bar store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from alphamoe.cli.common import console, friendly_errors, load_settings
from alphamoe.data.summary import summarize
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore

data_app = typer.Typer(no_args_is_help=True, help="Market data: generate the embedded market or import real CSVs.")

IMPORT_FORMATS = ("ganlei",)
OutOption = Annotated[
    Path | None, typer.Option("--out", help="bar store folder (default $ALPHAMOE_DATA or the per-user folder)")
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
) -> None:
    """Import real daily bars into a bar store; rows with unreadable numbers are skipped and counted."""
    from alphamoe.data.ganlei import write_ganlei

    with friendly_errors():
        if fmt not in IMPORT_FORMATS:
            raise DataError(f"--format {fmt!r} is not supported (supported: {', '.join(IMPORT_FORMATS)})")
        target = load_settings(out).data
        with _progress(f"reading {path}") as update:
            store = write_ganlei(path, target, progress=update)
        _print_summary(store, f"{fmt} import → {target}")
        examples = store.meta().get("examples") or []
        for example in examples:
            console.print(f"[yellow]skipped[/yellow] {example}")
