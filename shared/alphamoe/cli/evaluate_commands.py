"""CLI verb `alphamoe evaluate`: do the LLM experts add alpha? Quant, symbolic panel, symbolic + LLM side by side."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alphamoe.cli.common import (
    DataOption,
    OutputFormat,
    OutputOption,
    console,
    friendly_errors,
    load_settings,
    parse_day,
)
from alphamoe.errors import ConfigurationError

if TYPE_CHECKING:
    from alphamoe.evaluate.model import Evaluation


def _budget(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ConfigurationError(f"--budget-cny {text!r} is not a number of CNY") from None


def evaluate(
    start: Annotated[str, typer.Option("--start", help="first session YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last session YYYY-MM-DD")],
    strategy: Annotated[str, typer.Option("--strategy", help="strategy name (default: the baseline)")] = "",
    params: Annotated[str, typer.Option("--params", help="strategy parameters as JSON")] = "",
    data: DataOption = None,
    universe: Annotated[
        str | None, typer.Option("--universe", help="symbols: 600000.SH,000001.SZ or a file of them (default: all)")
    ] = None,
    live: Annotated[
        bool, typer.Option("--live", help="ask the model for decisions the record lacks (needs --budget-cny)")
    ] = False,
    budget_cny: Annotated[
        str | None, typer.Option("--budget-cny", help="CNY this run may spend on new calls (with --live; > 0)")
    ] = None,
    anonymise: Annotated[
        bool, typer.Option("--anonymise", help="hide names, codes and dates from the model (record says so)")
    ] = False,
    track_record_weights: Annotated[
        bool | None,
        typer.Option(
            "--track-record-weights/--no-track-record-weights",
            help="weigh experts by their point-in-time track record (default: ALPHAMOE_ROUTE__TRACK_RECORD_WEIGHTS)",
        ),
    ] = None,
    max_signals: Annotated[int, typer.Option("--max-signals", help="candidates per session, best first")] = 20,
    index: Annotated[
        Path | None, typer.Option("--index", help="CSI300 CSV or folder with sh000300.csv (default: universe average)")
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
    report: Annotated[Path | None, typer.Option("--report", help="write the HTML report to this file")] = None,
) -> None:
    """Evaluate quant only, the symbolic panel and symbolic + LLM experts over --start … --end, side by side."""
    with friendly_errors():
        first, last = parse_day("--start", start), parse_day("--end", end)
        if last < first:
            raise ConfigurationError(f"--end {last} is before --start {first}")
        budget = _budget(budget_cny)
        from alphamoe.backtest.config import BacktestConfig
        from alphamoe.backtest.strategies import DEFAULT_STRATEGY, build_strategy
        from alphamoe.backtest.universe import parse_universe
        from alphamoe.evaluate.run import EvaluationRequest
        from alphamoe.evaluate.run import evaluate as run_evaluation
        from alphamoe.evaluate.wiring import check_live, llm_arm_inputs
        from alphamoe.market.bars import BarStore

        settings = load_settings(data)
        check_live(settings, live, budget)
        chosen = build_strategy(strategy or DEFAULT_STRATEGY, params or None)
        bars = BarStore(settings.data)
        config = BacktestConfig(
            initial_cash=settings.initial_cash,
            sizing=settings.sizing,
            risk=settings.risk,
            commission=settings.commission,
            warmup=settings.lookback,
            stats_lookback=settings.lookback,
            max_signals=max_signals,
        )
        weights = settings.route.track_record_weights if track_record_weights is None else track_record_weights
        request = EvaluationRequest(
            first, last, chosen, config, anonymised=anonymise, live=live, track_weights=weights, index=index,
            universe=parse_universe(universe),
        )  # fmt: skip
        inputs = llm_arm_inputs(settings, bars, anonymised=anonymise, live=live, budget_cny=budget)
        evaluation = run_evaluation(bars, request, inputs)
        if output is OutputFormat.JSON:
            typer.echo(evaluation.model_dump_json(indent=1))
        else:
            _print(evaluation)
        if report is not None:
            from alphamoe.evaluate.report import write_html

            written = write_html(evaluation, report)
            if output is OutputFormat.TABLE:
                console.print(f"report: {written}")


def _print(e: Evaluation) -> None:
    from alphamoe.evaluate.report import EXPERT_HEADERS, expert_rows, summary_rows

    mode = "anonymised" if e.anonymised else "named"
    table = Table(title=f"evaluate {e.strategy} · {e.start} … {e.end} · {e.candidates} candidates · {mode}")
    table.add_column("metric")
    for arm in e.arms:
        table.add_column(arm.name, justify="right")
    for name, cells in summary_rows(e):
        table.add_row(name, *(_rich(c) for c in cells))
    console.print(table)
    if e.experts:
        experts = Table(title="experts of the llm arm over the span (hit rate at 5 sessions)")
        for n, column in enumerate(EXPERT_HEADERS):
            experts.add_column(column, justify="left" if n == 0 else "right")
        for row in expert_rows(e):
            experts.add_row(*row)
        console.print(experts)
    if e.track_records:
        records = Table(title="track records (point in time, hit rate at 5 sessions)")
        for column in ("expert", "board", "regime", "n", "hit rate", "confidence", "Brier"):
            records.add_column(column, justify="left" if column in ("expert", "board", "regime") else "right")
        for t in e.track_records:
            records.add_row(
                t.expert, t.board, t.regime, str(t.n), f"{t.hit_rate:.1%}", f"{t.mean_confidence:.2f}", f"{t.brier:.3f}"
            )
        console.print(records)


def _rich(cell: str) -> str:
    # the report's HTML colour spans as rich markup (red up, green down)
    import re

    return re.sub(r'<span style="color:(#[0-9a-f]{6})">(.*?)</span>', r"[\1]\2[/]", cell)
