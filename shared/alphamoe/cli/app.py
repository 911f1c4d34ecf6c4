"""The `alphamoe` command: one typer app, one module per family of verbs."""

from __future__ import annotations

from typing import Annotated

import typer

from alphamoe.cli import backtest_commands, clock_commands, fabric_commands, route_commands, run_commands, scan_commands
from alphamoe.cli.broker_commands import gateway
from alphamoe.cli.data_commands import data_app
from alphamoe.cli.risk_commands import risk_app

app = typer.Typer(no_args_is_help=True, add_completion=False, help="alphamoe: A-share MoE trading, serverless.")
app.command()(run_commands.run)
app.command()(run_commands.demo)
app.add_typer(data_app, name="data")
app.command()(route_commands.explain)
app.command()(fabric_commands.bridge)
app.add_typer(fabric_commands.cluster_app, name="cluster")
app.add_typer(fabric_commands.trigger_app, name="trigger")
app.command()(fabric_commands.status)
app.command()(fabric_commands.replay)
app.command()(fabric_commands.export)
app.add_typer(clock_commands.schedule_app, name="schedule")
app.add_typer(risk_app, name="risk")
app.command()(clock_commands.report)
app.command()(backtest_commands.backtest)
app.command()(scan_commands.scan)
app.command()(gateway)


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
