"""The `alphamoe` command: one typer app, one module per family of verbs."""

from __future__ import annotations

from typing import Annotated

import typer

from alphamoe.cli.lazy import LazyCommand, lazy_group

COMMANDS = (
    LazyCommand(
        "run",
        "alphamoe.cli.run_commands:run",
        "Run one trading day in process: scan → route → size → risk → execute (paper), and report it.",
    ),
    LazyCommand(
        "demo",
        "alphamoe.cli.run_commands:demo",
        "Generate the embedded market if missing, run its latest day, and show every step.",
    ),
    LazyCommand(
        "explain",
        "alphamoe.cli.route_commands:explain",
        "Show how one signal was decided: the router's gate, every expert's opinion and LLM call, then "
        "sizing's arithmetic, the order or the stated reason for none, and risk's decision.",
    ),
    LazyCommand(
        "bridge",
        "alphamoe.cli.fabric_commands:bridge",
        "Deliver Redis Streams entries to the functions as HTTP CloudEvents, at least once (XACK after 2xx).",
    ),
    LazyCommand(
        "status",
        "alphamoe.cli.fabric_commands:status",
        "Show streams, lag, pending, dead letters and the day's orders.",
    ),
    LazyCommand(
        "replay",
        "alphamoe.cli.fabric_commands:replay",
        "Re-publish a recorded run's CloudEvents under a new run id, through the same functions.",
    ),
    LazyCommand(
        "export",
        "alphamoe.cli.fabric_commands:export",
        "Write a recorded run's CloudEvents from Redis as JSONL (structured mode, publication order).",
    ),
    LazyCommand(
        "report",
        "alphamoe.cli.clock_commands:report",
        "Print the day's end-of-day report (equity vs benchmark, verdicts and reasons, rejections, cost, latency).",
    ),
    LazyCommand(
        "backtest",
        "alphamoe.cli.backtest_commands:backtest",
        "Backtest a strategy from --start to --end with T+1, lots, limits, suspensions and dated fees.",
    ),
    LazyCommand(
        "evaluate",
        "alphamoe.cli.evaluate_commands:evaluate",
        "Evaluate quant only, the symbolic panel and symbolic + LLM experts over --start … --end, side by side.",
    ),
    LazyCommand(
        "search",
        "alphamoe.cli.research_commands:search",
        "Search a strategy's parameters (grid or Optuna TPE) over one loaded market; resumable; table + HTML.",
    ),
    LazyCommand(
        "walk-forward",
        "alphamoe.cli.research_commands:walk_forward",
        "Walk forward: search each in-sample window, trade its best out of sample, stitch the out-of-sample curve.",
    ),
    LazyCommand(
        "check-strategy",
        "alphamoe.cli.research_commands:check_strategy",
        "Check a strategy for look-ahead (later bars perturbed), a survivor-only universe and limit-locked entries.",
    ),
    LazyCommand(
        "scan",
        "alphamoe.cli.scan_commands:scan",
        "Scan the whole market for day D with a strategy: candidates best first, each with its Kelly p, b, n.",
    ),
    LazyCommand(
        "gateway",
        "alphamoe.cli.broker_commands:gateway",
        "Serve a broker adapter over HTTP for a remote execute (token: ALPHAMOE_BROKER__TOKEN, 32+ bytes; "
        "TLS: __TLS_CERT and __TLS_KEY).",
    ),
    LazyCommand(
        "console",
        "alphamoe.cli.console_commands:console_command",
        "Serve the web console; with no users configured, print a one-time operator login URL (loopback only).",
    ),
    LazyCommand(
        "serve",
        "alphamoe.cli.app:serve",
        "Serve one function over HTTP CloudEvents with func-python (the container's entry point too).",
    ),
    LazyCommand(
        "data", "alphamoe.cli.data_commands:data_app", "Market data: generate the embedded market or import real CSVs."
    ),
    LazyCommand(
        "cluster", "alphamoe.cli.fabric_commands:cluster_app", "The local cluster: Redis, five functions, the bridge."
    ),
    LazyCommand(
        "trigger", "alphamoe.cli.fabric_commands:trigger_app", "Publish the events that start and end a trading day."
    ),
    LazyCommand(
        "schedule",
        "alphamoe.cli.clock_commands:schedule_app",
        "Fire market.open / market.close once per XSHG session (foreground), or one tick, or serve PingSource.",
    ),
    LazyCommand(
        "risk", "alphamoe.cli.risk_commands:risk_app", "Kill switch: halt, reduce or resume trading for an account."
    ),
    LazyCommand(
        "alerts",
        "alphamoe.cli.alerts_commands:alerts_app",
        "Push fills, rejections, halts, dead letters and the day's summary to chat and email.",
    ),
)
"""Every verb, in `--help` order: name, the line `--help` lists, and the typer function or app that defines it.

A new verb is a row here, not an import: `alphamoe --help` reads this table, and each command's module (and its
libraries) is imported only when that command runs (issue 18: start-up ≤ 0.3 s). tests/unit/cli checks each row's
line against the command's own help."""

app = typer.Typer(
    cls=lazy_group(COMMANDS),
    no_args_is_help=True,
    add_completion=False,
    help="alphamoe: A-share MoE trading, serverless.",
    rich_markup_mode=None,  # click's plain help: typer's rich help imports rich.markdown & co., ~0.1 s per start
    context_settings={"max_content_width": 120},  # help as wide as the terminal, up to 120 columns
)


@app.callback()
def _root() -> None:
    """Nothing to do before a sub-command: this makes `app` a group of the table's verbs (typer needs one)."""


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
