"""CLI verb `alphamoe scan`: one day's scan alone, printed as a table and optionally written as JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from alphamoe.cli.common import (
    AllOption,
    DataOption,
    JsonOutOption,
    LegacyJsonFile,
    OutputFormat,
    OutputOption,
    console,
    friendly_errors,
    json_out_file,
    load_settings,
    parse_day,
)
from alphamoe.errors import ConfigurationError


def scan(
    day: Annotated[str, typer.Option("--date", help="trading day D YYYY-MM-DD: bars up to D−1 are read")],
    data: DataOption = None,
    strategy: Annotated[
        str | None,
        typer.Option("--strategy", help="strategy name (default $ALPHAMOE_SCAN__STRATEGY or trend_breakout)"),
    ] = None,
    params: Annotated[str | None, typer.Option("--params", help="JSON object over the strategy's defaults")] = None,
    output: OutputOption = OutputFormat.TABLE,
    json_out: JsonOutOption = None,
    lookback: Annotated[int | None, typer.Option(help="sessions of history (default 250)")] = None,
    top: Annotated[int, typer.Option(help="rows of the printed table (the rest are counted)")] = 20,
    show_all: AllOption = False,
    legacy_json: LegacyJsonFile = None,
) -> None:
    """Scan the whole market for day D with a strategy: candidates best first, each with its Kelly p, b, n."""
    json_out = json_out_file(json_out, legacy_json)
    with friendly_errors():
        started = time.perf_counter()
        settings = load_settings(data, lookback=lookback)
        if not isinstance(settings.data, Path):
            raise ConfigurationError(f"`alphamoe scan` reads a local bar store folder, not {settings.data}")
        from alphamoe.backtest.strategies import build_strategy  # --params JSON → the strategy registry
        from alphamoe.scan.load import load_scan_inputs
        from alphamoe.scan.scanner import scan_day

        chosen = build_strategy(strategy or settings.scan.strategy, params or settings.scan.params)
        from alphamoe.market.bars import BarStore
        from alphamoe.strategy.stats import DEFAULT_STATS_REFRESH, kelly_panel_sessions

        store, the_day = BarStore(settings.data), parse_day("--date", day)
        before = [d for d in store.sessions() if d < the_day]  # from the Kelly window's start, as the scan stage
        history = kelly_panel_sessions(before, before[-1], settings.lookback, DEFAULT_STATS_REFRESH) if before else 1
        inputs = load_scan_inputs(store, the_day, history)
        loaded = time.perf_counter()
        result = scan_day(
            inputs.panel,
            inputs.day,
            inputs.reference,
            chosen,
            max_signals=settings.scan.max_signals,
            stats_lookback=settings.lookback,
        )
        scanned = time.perf_counter()
        document = {
            "completed": result.completed.model_dump(mode="json"),
            "signals": [s.model_dump(mode="json") for s in result.signals],
        }
        if output is OutputFormat.JSON:
            typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        else:
            rows = None if show_all else top
            _print(result, rows, load_s=loaded - started, scan_s=scanned - loaded, shape=inputs.panel.close.shape)
        if json_out is not None:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
            if output is OutputFormat.TABLE:
                console.print(f"written: {json_out}")


def _print(result: Any, top: int | None, *, load_s: float, scan_s: float, shape: tuple[int, ...]) -> None:
    from alphamoe.report.phrases import counts_phrase
    from alphamoe.report.terminal import print_table

    done = result.completed
    rows = [
        [
            str(s.rank),
            s.symbol,
            s.board.value,
            f"{s.score:.2f}",
            str(s.reference_price),
            f"{s.p_win:.3f}",
            f"{s.payoff:.2f}",
            str(s.n_trades),
        ]
        for s in result.signals
    ]
    print_table(
        console,
        f"scan {done.trading_day} · {done.strategy} · data until {done.data_until}",
        ("rank", "symbol", "board", "score", "ref price", "p_win", "payoff", "n"),
        rows,
        limit=top,
        hint="use --top N, --all or -o json",
        right=("rank", "score", "ref price", "p_win", "payoff", "n"),
        caption=(
            f"{done.candidates} candidates of {done.universe_size} stocks ({shape[0]} sessions × {shape[1]}); "
            f"excluded {sum(done.excluded.values())}: {counts_phrase(done.excluded)}; "
            f"exits {len(done.exits)} · load {load_s:.2f} s · scan {scan_s:.3f} s"
        ),
    )
