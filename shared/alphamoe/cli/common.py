"""What every CLI command shares: settings from flags over the environment, error reporting, the output flags.

Kept light on purpose: every command module imports it at start-up, so settings, pydantic and the rest load
inside the functions that use them (`alphamoe --help` starts in a fraction of a second).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from alphamoe.errors import AlphamoeError, DataError
from alphamoe.security.redact import redact

if TYPE_CHECKING:
    from alphamoe.settings import Settings
    from alphamoe.settings_core import CoreSettings

WIDE = 1000
"""Columns when output goes to a file or a pipe: a table is as wide as its content, never wrapped at 80."""


def _console(*, stderr: bool = False) -> Console:
    """A rich console: the terminal's width on a TTY (or $COLUMNS), else wide, so a pipe or a log gets whole rows."""
    stream = sys.stderr if stderr else sys.stdout
    wide = not stream.isatty() and not os.environ.get("COLUMNS", "").isdigit()
    return Console(stderr=stderr, width=WIDE if wide else None)


console = _console()
err_console = _console(stderr=True)


class OutputFormat(StrEnum):
    """What a command prints on stdout: tables for a person, JSON for a program (kn's and freqtrade's `-o`)."""

    TABLE = "table"
    JSON = "json"


OutputOption = Annotated[
    OutputFormat, typer.Option("-o", "--output", help="table (for people) or json (for programs), on stdout")
]
JsonOutOption = Annotated[Path | None, typer.Option("--json-out", help="also write the JSON to this file")]
AllOption = Annotated[
    bool, typer.Option("--all", help="print every row (tables show the first rows and count the rest)")
]
DataOption = Annotated[
    str | None,
    typer.Option(
        "--data", help="bar store: a folder or s3://bucket/prefix (default $ALPHAMOE_DATA or the per-user one)"
    ),
]
"""`--data` as text: a `Path` would fold `s3://bucket` into `s3:/bucket`; settings parse it (`parse_location`)."""
LegacyJsonSwitch = Annotated[bool, typer.Option("--json", hidden=True, help="deprecated: -o json")]
LegacyJsonFile = Annotated[Path | None, typer.Option("--json", hidden=True, help="deprecated: --json-out FILE")]


def output_format(output: OutputFormat, legacy_json: bool) -> OutputFormat:
    """Return the format asked for; the old `--json` switch (hidden, deprecated) still means `-o json`.

    Silently: a note on stderr would land in the JSON of a caller that reads both streams as one.
    """
    return OutputFormat.JSON if legacy_json else output


def json_out_file(json_out: Path | None, legacy_json: Path | None) -> Path | None:
    """Return the file to write JSON to; the old `--json FILE` (hidden, deprecated) still means `--json-out FILE`."""
    return json_out if json_out is not None else legacy_json


def parse_day(flag: str, text: str) -> date:
    """Read a YYYY-MM-DD option value; a bad one is a DataError naming the option, not a traceback."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DataError(f"{flag} {text!r} is not a date (expected YYYY-MM-DD)") from None


def _flags(data: str | Path | None, overrides: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in overrides.items() if v is not None}
    if data is not None:
        values["data"] = data
    return values


def load_settings(data: str | Path | None = None, **overrides: Any) -> Settings:
    """Return settings from the environment, with `--data` and other flags taking precedence."""
    from alphamoe.settings import Settings

    return Settings(**_flags(data, overrides))


def load_core_settings(data: str | Path | None = None, **overrides: Any) -> CoreSettings:
    """Return the core settings alone (data, runs, Redis, account, fabric, clock, LLM record), as `load_settings`.

    For the verbs that read a finished day (status, risk, report, explain): every other section of `Settings`
    takes ~0.15 s to build and is neither read nor checked here (issue 18: those verbs start in ≤ 0.3 s).
    """
    from alphamoe.settings_core import CoreSettings

    return CoreSettings(**_flags(data, overrides))


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn expected failures into one clear line and exit code 2: no traceback, no password of a URL."""
    from pydantic import ValidationError

    try:
        yield
    except AlphamoeError as exc:
        err_console.print(f"[bold red]error:[/bold red] {redact(str(exc))}")
        raise typer.Exit(2) from None
    except ValidationError as exc:
        err_console.print(f"[bold red]invalid setting:[/bold red] {redact(str(exc))}")
        raise typer.Exit(2) from None
