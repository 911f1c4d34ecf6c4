"""A rich progress bar over a backtest's sessions (the engine calls back after each one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from alphamoe.backtest.engine import Progress as ProgressCallback


@contextmanager
def session_progress(console: Console, label: str, *, enabled: bool = True) -> Iterator[ProgressCallback | None]:
    """Yield a callback that advances a bar of sessions; None (no bar) when disabled or not a terminal."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            if done == 1 or done == total or done % 20 == 0:  # redraws cost more than a session
                bar.update(task, completed=done, total=total)

        yield advance
