"""What every CLI command shares: settings from flags over the environment, and error reporting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from alphamoe.errors import AlphamoeError
from alphamoe.security.redact import redact
from alphamoe.settings import Settings

console = Console()
err_console = Console(stderr=True)


def load_settings(data: Path | None = None, **overrides: Any) -> Settings:
    """Return settings from the environment, with `--data` and other flags taking precedence."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if data is not None:
        values["data"] = data
    return Settings(**values)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn expected failures into one clear line and exit code 2: no traceback, no password of a URL."""
    try:
        yield
    except AlphamoeError as exc:
        err_console.print(f"[bold red]error:[/bold red] {redact(str(exc))}")
        raise typer.Exit(2) from None
    except ValidationError as exc:
        err_console.print(f"[bold red]invalid setting:[/bold red] {redact(str(exc))}")
        raise typer.Exit(2) from None
