"""The `alphamoe` command: one typer app, one module per family of verbs."""

from __future__ import annotations

from typing import Annotated

import typer

from alphamoe.cli import run_commands
from alphamoe.cli.data_commands import data_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help="alphamoe: A-share MoE trading, serverless.")
app.command()(run_commands.run)
app.command()(run_commands.demo)
app.add_typer(data_app, name="data")


@app.command()
def serve(
    function: Annotated[str, typer.Argument(help="scan | route | size | risk | execute")],
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8080,
) -> None:
    """Serve one function over HTTP CloudEvents with func-python (the container's entry point too)."""
    from alphamoe.functions.serve import serve as serve_function

    serve_function(function, host, port)


def main() -> None:
    app()
