"""Tables in a terminal, drawn one way: the first rows, then a line saying how many were left out and how to see them.

Every table the CLI prints goes through `print_table`, so no table silently drops rows (the day report once
showed 15 signals while its orders named stocks not shown). Cells are plain text unless `markup=True`:
a reason such as "RSI [14]" is printed as written, not read as a style.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

MORE_HINT = "use --all / -o json"
HEADING_WIDTH = 100
"""A heading's rule off a terminal: wide enough to read, not the width of the widest table."""


def more_line(left_out: int, hint: str = MORE_HINT) -> str:
    """Return the line under a truncated table: `… 1,234 more (use --all / -o json)`."""
    return f"… {left_out:,} more ({hint})"


def print_table(
    console: Console,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    limit: int | None = None,
    hint: str = MORE_HINT,
    right: Collection[str] = (),
    caption: str | None = None,
    markup: bool = False,
) -> None:
    """Print `rows` under `headers` (only the first `limit`, then `more_line` for the rest).

    `right`: the headers of right-aligned (numeric) columns; `markup`: cells carry rich styles such as
    "[red]+1.2%[/red]".
    """
    shown = rows if limit is None else rows[: max(limit, 0)]
    table = Table()
    for header in headers:
        table.add_column(header, justify="right" if header in right else "left", overflow="fold")
    for row in shown:
        table.add_row(*(cell if markup else Text(cell) for cell in row))
    console.print(Text(title, style="table.title"))  # its own line: a table's title wraps at the table's width
    console.print(table)
    if caption:
        console.print(Text(caption, style="table.caption"))
    if len(rows) > len(shown):
        console.print(more_line(len(rows) - len(shown), hint), markup=False, highlight=False)


def heading(console: Console, text: str) -> None:
    """Print a section heading: a rule across a terminal, a rule of `HEADING_WIDTH` into a file or a pipe."""
    rule = Rule(Text(text))
    if console.is_terminal:
        console.print(rule)
    else:
        console.print(rule, width=min(HEADING_WIDTH, console.width))
