"""CLI verb `alphamoe scan`: one day's scan alone, printed as a table and optionally written as JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from alphamoe.cli.common import console, friendly_errors, load_settings
from alphamoe.cli.run_commands import DataOption, _parse_day
from alphamoe.errors import ConfigurationError


def scan(
    day: Annotated[str, typer.Option("--date", help="trading day D YYYY-MM-DD: bars up to D−1 are read")],
    data: DataOption = None,
    strategy: Annotated[
        str | None,
        typer.Option("--strategy", help="strategy name (default $ALPHAMOE_SCAN__STRATEGY or trend_breakout)"),
    ] = None,
    params: Annotated[str | None, typer.Option("--params", help="JSON object over the strategy's defaults")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the signals and summary as JSON here")] = None,
    lookback: Annotated[int | None, typer.Option(help="sessions of history (default 250)")] = None,
    top: Annotated[int, typer.Option(help="rows of the printed table")] = 20,
) -> None:
    """Scan the whole market for day D with a strategy: candidates best first, each with its Kelly p, b, n."""
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

        store, the_day = BarStore(settings.data), _parse_day(day)
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
        _print(result, top, load_s=loaded - started, scan_s=scanned - loaded, shape=inputs.panel.close.shape)
        if json_out is not None:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            document = {
                "completed": result.completed.model_dump(mode="json"),
                "signals": [s.model_dump(mode="json") for s in result.signals],
            }
            json_out.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
            console.print(f"written: {json_out}")


def _print(result: Any, top: int, *, load_s: float, scan_s: float, shape: tuple[int, ...]) -> None:
    from rich.table import Table

    done = result.completed
    table = Table(
        title=f"scan {done.trading_day} · {done.strategy} · data until {done.data_until}",
        caption=(
            f"{done.candidates} candidates of {done.universe_size} stocks ({shape[0]} sessions × {shape[1]}); "
            f"excluded {sum(done.excluded.values())} {dict((k, v) for k, v in done.excluded.items() if v)}; "
            f"exits {len(done.exits)} · load {load_s:.2f} s · scan {scan_s:.3f} s"
        ),
    )
    for column in ("rank", "symbol", "board", "score", "ref price", "p_win", "payoff", "n"):
        table.add_column(column, justify="left" if column in ("symbol", "board") else "right")
    for s in result.signals[:top]:
        table.add_row(
            str(s.rank),
            s.symbol,
            s.board.value,
            f"{s.score:.2f}",
            str(s.reference_price),
            f"{s.p_win:.3f}",
            f"{s.payoff:.2f}",
            str(s.n_trades),
        )
    console.print(table)
