"""CLI verb `alphamoe backtest`: the whole universe over years, with the A-share rules and live size/risk."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alphamoe.cli.common import (
    DataOption,
    JsonOutOption,
    LegacyJsonFile,
    OutputFormat,
    OutputOption,
    console,
    err_console,
    friendly_errors,
    json_out_file,
    load_settings,
    parse_day,
)
from alphamoe.errors import ConfigurationError

if TYPE_CHECKING:
    from alphamoe.backtest.result import BacktestResult

ENGINES = ("vectorbt", "reference", "backtrader")


def backtest(
    start: Annotated[str, typer.Option("--start", help="first session YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--end", help="last session YYYY-MM-DD")],
    strategy: Annotated[str, typer.Option("--strategy", help="strategy name (default: the baseline)")] = "",
    params: Annotated[
        str, typer.Option("--params", help='strategy parameters as JSON, e.g. {"breakout_window": 30}')
    ] = "",
    book: Annotated[
        str,
        typer.Option(
            "--book",
            help='strategy book as JSON, name → share of the capital, e.g. {"trend_breakout": 0.6, '
            '"momentum_composite": 0.4} (default: ALPHAMOE_SCAN__STRATEGIES); each strategy at its defaults, '
            "run on the reference engine",
        ),
    ] = "",
    data: DataOption = None,
    universe: Annotated[
        str | None, typer.Option("--universe", help="symbols: 600000.SH,000001.SZ or a file of them (default: all)")
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="vectorbt: alphamoe's engine (signals vectorised once over the panel, then a compiled session "
            "loop with the A-share rules and live size/risk, transcribed and tested equal); reference: the same "
            "loop over the live Python size/risk objects (~12x slower); backtrader: the same decisions replayed "
            "through Backtrader with an A-share broker (slow; for validation)",
        ),
    ] = "vectorbt",
    route: Annotated[
        str,
        typer.Option(
            "--route",
            help="none: the quant signal alone, every pick confirmed; symbolic: the live router's symbolic experts "
            "(trend, liquidity, risk skeptic) judge every pick, and only confirmed ones are sized (Quant ∩ Router)",
        ),
    ] = "none",
    report: Annotated[
        Path | None, typer.Option("--report", help="write report.html, equity.png and result.json here")
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
    json_out: JsonOutOption = None,
    index: Annotated[
        Path | None,
        typer.Option(
            "--index", help="CSI300 CSV, or a folder with sh000300.csv, for the report (default: universe average)"
        ),
    ] = None,
    cash: Annotated[float | None, typer.Option("--cash", help="initial cash, CNY (default: settings)")] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="show a progress bar")] = True,
    legacy_json: LegacyJsonFile = None,
) -> None:
    """Backtest a strategy from --start to --end with T+1, lots, limits, suspensions and dated fees.

    `-o json` prints the metrics and every trade as JSON; `--json-out FILE` writes them."""
    from decimal import Decimal

    json_out = json_out_file(json_out, legacy_json)

    with friendly_errors():
        if engine not in ENGINES:
            raise ConfigurationError(f"unknown engine {engine!r}; valid engines: {', '.join(ENGINES)}")
        first, last = parse_day("--start", start), parse_day("--end", end)
        from alphamoe.backtest.config import BacktestConfig
        from alphamoe.backtest.engine import prepare, simulate
        from alphamoe.backtest.progress import session_progress
        from alphamoe.backtest.routing import check_route
        from alphamoe.backtest.strategies import DEFAULT_STRATEGY, build_strategy
        from alphamoe.backtest.universe import parse_universe
        from alphamoe.market.bars import BarStore
        from alphamoe.sizing.config import SizingConfig

        settings = load_settings(data)
        weights = _book(book, settings.scan.strategies, strategy, params)
        chosen = (
            [build_strategy(name) for name in weights]
            if weights
            else build_strategy(strategy or DEFAULT_STRATEGY, params or None)
        )
        if weights and engine == "vectorbt":  # the compiled loop sizes one strategy: the book runs the live objects
            err_console.print("strategy book: the reference engine (live size_batch with each strategy's capital)")
            engine = "reference"
        config = BacktestConfig(
            initial_cash=Decimal(str(cash)) if cash is not None else settings.initial_cash,
            sizing=SizingConfig.model_validate({**settings.sizing.model_dump(), "strategy_capital": weights}),
            risk=settings.risk,
            commission=settings.commission,
            warmup=settings.lookback,
            stats_lookback=settings.lookback,
            route=check_route(route),
        )
        from alphamoe.sizing.consistency import CAPITAL, check_order_floor

        check_order_floor(config.initial_cash, config.sizing, capital_name="--cash" if cash is not None else CAPITAL)
        store = BarStore(settings.data)
        started = time.perf_counter()
        bars = progress and err_console.is_terminal
        with session_progress(err_console, "route", enabled=bars and config.route != "none") as bar:
            prepared = prepare(
                store,
                first,
                last,
                chosen,
                config,
                parse_universe(universe),
                progress=bar,
                cache=settings.runs_dir / "cache",
            )
        if engine == "backtrader":
            from alphamoe.backtest.bt_engine import run_backtrader

            result = run_backtrader(prepared)
        else:
            from alphamoe.backtest.compiled.engine import simulate_compiled

            run = simulate if engine == "reference" else simulate_compiled
            with session_progress(err_console, "backtest", enabled=bars) as bar:
                result = run(prepared, progress=bar)
        import pandas as pd

        from alphamoe.backtest.analysis import analysed
        from alphamoe.backtest.benchmark import index_curve, universe_average

        panel, first_row = prepared.market.panel, prepared.market.first_row
        base = max(first_row - 1, 0)  # the close before the first session: the benchmark's base, as cash is ours
        bench = (
            index_curve(index, pd.Timestamp(panel.dates[base]).date(), result.end)
            if index is not None
            else universe_average(panel, base)
        )
        result = analysed(result, bench)
        elapsed = time.perf_counter() - started
        said = console
        if output is OutputFormat.JSON:
            typer.echo(result.model_dump_json(indent=1))
            said = err_console  # stdout holds the JSON alone
        else:
            _print(result, elapsed)
        if json_out is not None:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(result.model_dump_json(indent=1), encoding="utf-8")
            said.print(f"json: {json_out}")
        if report is not None:
            from alphamoe.backtest.report import write_html, write_png

            html_path = write_html(result, report / "report.html", bench)
            png_path = write_png(result, report / "equity.png", bench)
            (report / "result.json").write_text(result.model_dump_json(indent=1), encoding="utf-8")  # History reads it
            said.print(f"report: {html_path} · {png_path} · {report / 'result.json'}")


def _book(text: str, configured: dict[str, float], strategy: str, params: str) -> dict[str, float]:
    """The strategy book to backtest: --book, else ALPHAMOE_SCAN__STRATEGIES; {} for one strategy.

    Checked by the live `ScanSettings` (weights in (0, 1], summing to ≤ 1), so the same book runs both."""
    import json

    from alphamoe.scan.config import ScanSettings

    if not text.strip():
        return {} if strategy or params else dict(configured)  # --strategy names one strategy over the settings
    if strategy or params:
        raise ConfigurationError("--book runs each strategy at its defaults: give --book or --strategy/--params")
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"--book is not a JSON object: {exc}") from None
    if not isinstance(loaded, dict) or not loaded:
        raise ConfigurationError(f"--book must be a JSON object of strategy → capital share, was {text!r}")
    return ScanSettings(strategies=loaded).book()


def _print(result: BacktestResult, elapsed: float) -> None:
    # concise: the headline figures, then the yearly returns (the report and the JSON hold the rest)
    m, analysis = result.metrics, result.analysis
    versus = analysis.versus if analysis is not None else None
    table = Table(title=f"{result.strategy} · {result.engine} · {result.start} … {result.end}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows = {
        "stocks × sessions": f"{result.universe} × {result.sessions}",
        "final equity": f"{result.final_equity:,.2f}",
        "total return / CAGR": f"{m.total_return:.2%} / {m.cagr:.2%}",
    }
    if versus is not None:
        rows |= {
            f"vs {versus.benchmark}": f"{versus.benchmark_return:.2%} / {versus.benchmark_cagr:.2%}",
            "excess return / CAGR": f"{versus.excess_return:.2%} / {versus.excess_cagr:.2%}",
            "alpha / beta / IR": f"{versus.alpha:.2%} / {versus.beta:.2f} / {versus.information_ratio:.2f}",
        }
    rows |= {
        "Sharpe / Sortino / Calmar": f"{m.sharpe:.2f} / {_ratio(m.sortino)} / {_ratio(m.calmar)}",
        "max drawdown": f"{m.max_drawdown:.2%}",
        "round trips / win rate": f"{m.round_trips} / " + ("n/a" if m.win_rate is None else f"{m.win_rate:.1%}"),
        "profit factor / avg win / avg loss": f"{_ratio(m.profit_factor)} / {_cny(m.avg_win)} / {_cny(m.avg_loss)}",
        "turnover (annual) / exposure": f"{m.turnover:.2f} / {m.exposure:.1%}",
        "picks (router)": f"{', '.join(f'{k} {v}' for k, v in result.verdicts.items())} ({result.route})",
        "fills / fees": f"{m.fills} / {m.fees:,.2f}",
        "not filled": ", ".join(f"{k} {v}" for k, v in result.unfilled.items()) or "-",
        "risk rejections": ", ".join(f"{k} {v}" for k, v in result.rejected.items()) or "-",
        "time": f"{elapsed:.1f} s (" + ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items()) + ")",
    }
    for key, value in rows.items():
        table.add_row(key, value)
    console.print(table)
    _print_unfilled(result)
    if analysis is None or not analysis.yearly:
        return
    years = Table(title="yearly returns (red up, green down)")
    for name in ("year", result.strategy, versus.benchmark if versus else "benchmark", "excess"):
        years.add_column(name, justify="right")
    for y in analysis.yearly:
        years.add_row(str(y.year), _coloured(y.strategy), _coloured(y.benchmark), _coloured(y.excess))
    console.print(years)


UNFILLED_ROWS = 20  # unfilled orders listed in the terminal; the JSON and the report list every one


def _print_unfilled(result: BacktestResult) -> None:
    # each approved order the market did not fill in full, first ones first; the rest counted, in the JSON
    from alphamoe.report.terminal import print_table

    misses = result.unfilled_orders
    if not misses:
        return
    rows = [
        [m.day.isoformat(), m.symbol, m.side.value, f"{m.quantity:,}", f"{m.filled:,}", str(m.limit_price), m.reason]
        for m in misses
    ]
    print_table(
        console,
        f"unfilled orders ({len(misses)})",
        ("day", "symbol", "side", "quantity", "filled", "limit", "reason"),
        rows,
        limit=UNFILLED_ROWS,
        hint="in the JSON: -o json or --json-out FILE; and in the report: --report DIR",
        right=("quantity", "filled", "limit"),
    )


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _cny(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _coloured(value: float | None) -> str:
    # A-share colours: red up, green down (report.colours, as every page)
    from alphamoe.report.colours import signed

    if value is None:
        return "n/a"
    style = signed(value)
    return f"[{style}]{value:.2%}[/{style}]" if style else f"{value:.2%}"
