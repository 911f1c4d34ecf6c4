"""CLI verbs `alphamoe search`, `alphamoe walk-forward` and `alphamoe check-strategy`: research at scale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alphamoe.cli.common import console, err_console, friendly_errors, load_settings, parse_day

if TYPE_CHECKING:
    from alphamoe.research.objective import Objective
    from alphamoe.research.study import SearchSetup, TrialRecord
    from alphamoe.research.trial import StudyMarket
    from alphamoe.settings import Settings

Start = Annotated[str, typer.Option("--start", help="first session YYYY-MM-DD")]
End = Annotated[str, typer.Option("--end", help="last session YYYY-MM-DD")]
StrategyOpt = Annotated[str, typer.Option("--strategy", help="strategy name (default: the baseline)")]
Params = Annotated[str, typer.Option("--params", help="fixed strategy parameters as JSON (e.g. a factor's terms)")]
Data = Annotated[str | None, typer.Option("--data", help="bar store folder (default $ALPHAMOE_DATA)")]  # s3:// kept
Universe = Annotated[str | None, typer.Option("--universe", help="symbols, or a file of them (default: all)")]
Space = Annotated[Path | None, typer.Option("--space", help="space file (TOML/JSON): ranges, choices, fixed values")]
SamplerOpt = Annotated[str, typer.Option("--sampler", help="tpe (Optuna) or grid")]
Trials = Annotated[int, typer.Option("--trials", help="trials per study (a rerun continues up to this many)")]
Metric = Annotated[str, typer.Option("--objective", help="sharpe, sortino, calmar, cagr, total_return, excess_return…")]
MaxDd = Annotated[float | None, typer.Option("--max-drawdown", help="a chosen trial's max drawdown cap, e.g. 0.2")]
MinTrades = Annotated[int, typer.Option("--min-trades", help="a chosen trial's minimum closed round trips")]
Seed = Annotated[int, typer.Option("--seed", help="sampler seed")]
Batch = Annotated[int, typer.Option("--batch", help="trials asked per round (fixes the result on any executor)")]
Workers = Annotated[int | None, typer.Option("--workers", help="local processes (default: the CPU count)")]
Ray = Annotated[str | None, typer.Option("--ray", help="run on Ray: auto (the running cluster), ADDRESS, or local")]
Report = Annotated[Path | None, typer.Option("--report", help="write the HTML report here")]
Top = Annotated[int, typer.Option("--top", help="trials in the table; the best 5 rerun for the report's equity")]


def _market(settings: Settings, start: str, end: str, strategy: str, universe: str | None) -> StudyMarket:
    from alphamoe.backtest.config import BacktestConfig
    from alphamoe.backtest.universe import parse_universe
    from alphamoe.market.bars import BarStore
    from alphamoe.research.trial import load_study_market

    config = BacktestConfig(
        initial_cash=settings.initial_cash,
        sizing=settings.sizing,
        risk=settings.risk,
        commission=settings.commission,
        warmup=settings.lookback,
        stats_lookback=settings.lookback,
    )
    first, last = parse_day("--start", start), parse_day("--end", end)
    return load_study_market(BarStore(settings.data), first, last, strategy, config, parse_universe(universe))


def _setup(
    strategy: str,
    params: str,
    space: Path | None,
    sampler: str,
    trials: int,
    objective: Objective,
    seed: int,
    batch: int,
) -> SearchSetup:
    from alphamoe.backtest.strategies import build_strategy
    from alphamoe.research.space import build_space, read_space_file
    from alphamoe.research.study import SearchSetup

    base = build_strategy(strategy, params or None)  # checks the name and the fixed parameters
    built = build_space(strategy, type(base).Params, read_space_file(space) if space is not None else None)
    fixed = {**(json.loads(params) if params else {}), **built.fixed}
    from dataclasses import replace

    return SearchSetup(replace(built, fixed=fixed), objective, sampler, trials, seed, batch)  # type: ignore[arg-type]


def _objective(metric: str, max_drawdown: float | None, min_trades: int) -> Objective:
    from alphamoe.research.objective import Objective

    return Objective(metric=metric, max_drawdown=max_drawdown, min_trades=min_trades)


def _print_trials(recs: list[TrialRecord], setup: SearchSetup, top: int, title: str) -> None:
    from alphamoe.research.study import ranked

    names = [d.name for d in setup.space.dimensions]
    table = Table(title=title)
    for col in ("trial", *names, setup.objective.metric, "Sharpe", "CAGR", "max DD", "trips", "constraints"):
        table.add_column(col, justify="right")
    for r in ranked(recs)[:top]:
        f = r.figures
        cagr = f.get("cagr") or 0.0
        style = "red" if cagr > 0 else "green" if cagr < 0 else ""
        table.add_row(
            str(r.number),
            *(str(r.params.get(n)) for n in names),
            "n/a" if r.value is None else f"{r.value:.3f}",
            f"{f.get('sharpe') or 0.0:.2f}",
            f"[{style}]{cagr:.2%}[/{style}]" if style else f"{cagr:.2%}",
            f"{f.get('max_drawdown') or 0.0:.2%}",
            str(f.get("round_trips")),
            "; ".join(r.violations) or "ok",
        )
    console.print(table)


def search(
    start: Start,
    end: End,
    strategy: StrategyOpt = "",
    params: Params = "",
    data: Data = None,
    universe: Universe = None,
    space: Space = None,
    sampler: SamplerOpt = "tpe",
    trials: Trials = 100,
    objective: Metric = "sharpe",
    max_drawdown: MaxDd = None,
    min_trades: MinTrades = 0,
    seed: Seed = 0,
    batch: Batch = 8,
    workers: Workers = None,
    ray: Ray = None,
    report: Report = None,
    top: Top = 20,
) -> None:
    """Search a strategy's parameters (grid or Optuna TPE) over one loaded market; resumable; table + HTML."""
    with friendly_errors():
        from alphamoe.backtest.strategies import DEFAULT_STRATEGY
        from alphamoe.research.deflated import deflated_sharpe
        from alphamoe.research.execute import make_executor
        from alphamoe.research.study import best, importance, open_study, ranked, records, run_studies, storage_url

        name = strategy or DEFAULT_STRATEGY
        setup = _setup(
            name, params, space, sampler, trials, _objective(objective, max_drawdown, min_trades), seed, batch
        )
        settings = load_settings(data)
        study_market = _market(settings, start, end, name, universe)
        study_name = setup.identity(start=start, end=end, universe=study_market.market.panel.symbols)
        study = open_study(setup, storage_url(settings.runs_dir), study_name)
        executor = make_executor(study_market, workers=workers, ray=ray)
        try:
            run_studies(
                [(study, study_market.full)],
                setup,
                executor,
                progress=lambda n, t: err_console.print(f"trials {n}/{t}"),
            )
            recs = records(study)
            chosen = best(recs, setup.objective)
            leaders = [r for r in ranked(recs) if r.feasible][:5]
            runs = executor.run([(study_market.full, r.params) for r in leaders])
        finally:
            executor.close()
        _print_trials(recs, setup, top, f"{name} · {start} … {end} · {len(recs)} trials · study {study_name}")
        trial_sharpes = [r.daily_sharpe for r in recs if r.value is not None]
        import numpy as np

        values = np.asarray(runs[0].values)
        dsr = deflated_sharpe(values[1:] / values[:-1] - 1.0, trial_sharpes)
        console.print(
            f"best: trial {chosen.number} {chosen.params} · {setup.objective.metric} {chosen.value:.3f} · "
            f"deflated Sharpe {dsr.probability:.3f} over {dsr.trials} trials (in-sample: walk-forward for a result)"
        )
        if report is not None:
            from alphamoe.research.report import write_search_report

            path = write_search_report(
                report / "search.html", f"search · {name} · {start} … {end}", recs, setup.objective,
                importance(study), list(zip(leaders, runs, strict=True)), dsr,
            )  # fmt: skip
            console.print(f"report: {path}")


def walk_forward(
    start: Start,
    end: End,
    in_sample: Annotated[int, typer.Option("--in-sample", help="sessions of each in-sample window")] = 500,
    out_of_sample: Annotated[int, typer.Option("--out-of-sample", help="sessions of each out-of-sample window")] = 125,
    anchored: Annotated[bool, typer.Option("--anchored/--rolling", help="in-sample from the first session")] = False,
    strategy: StrategyOpt = "",
    params: Params = "",
    data: Data = None,
    universe: Universe = None,
    space: Space = None,
    sampler: SamplerOpt = "tpe",
    trials: Trials = 50,
    objective: Metric = "sharpe",
    max_drawdown: MaxDd = None,
    min_trades: MinTrades = 0,
    seed: Seed = 0,
    batch: Batch = 8,
    workers: Workers = None,
    ray: Ray = None,
    report: Report = None,
) -> None:
    """Walk forward: search each in-sample window, trade its best out of sample, stitch the out-of-sample curve."""
    with friendly_errors():
        from alphamoe.backtest.strategies import DEFAULT_STRATEGY
        from alphamoe.research.execute import make_executor
        from alphamoe.research.study import storage_url
        from alphamoe.research.walkforward import walk_forward as run_walk_forward
        from alphamoe.research.walkforward import windows

        name = strategy or DEFAULT_STRATEGY
        setup = _setup(
            name, params, space, sampler, trials, _objective(objective, max_drawdown, min_trades), seed, batch
        )
        settings = load_settings(data)
        study_market = _market(settings, start, end, name, universe)
        windows(study_market, in_sample, out_of_sample, anchored=anchored)  # bad windows fail before any worker
        study_name = setup.identity(
            start=start,
            end=end,
            universe=study_market.market.panel.symbols,
            windows=[in_sample, out_of_sample, anchored],
        )
        executor = make_executor(study_market, workers=workers, ray=ray)
        try:
            wf = run_walk_forward(
                study_market, setup, executor, storage_url(settings.runs_dir), study_name,
                in_sample=in_sample, out_of_sample=out_of_sample, anchored=anchored,
                progress=lambda n, t: err_console.print(f"trials {n}/{t}"),
            )  # fmt: skip
        finally:
            executor.close()
        table = Table(title=f"walk-forward · {name} · {len(wf.windows)} windows · {wf.trials} trials")
        for col in ("window", "in-sample", "out-of-sample", "chosen", "OOS return"):
            table.add_column(col)
        for w in wf.windows:
            r = w.out_of_sample.values[-1] / w.out_of_sample.values[0] - 1.0
            table.add_row(
                str(w.window.index), f"{w.in_sample_days[0]} … {w.in_sample_days[1]}",
                f"{w.out_of_sample.days[0]} … {w.out_of_sample.days[-1]}", json.dumps(w.chosen.params),
                f"[{'red' if r > 0 else 'green'}]{r:.2%}[/]",
            )  # fmt: skip
        console.print(table)
        f = wf.figures
        console.print(
            f"out-of-sample (the result): total {f['total_return']:.2%} · CAGR {f['cagr']:.2%} · Sharpe "
            f"{f['sharpe']:.2f} · max DD {f['max_drawdown']:.2%} · deflated Sharpe {wf.deflated.probability:.3f} "
            f"over {wf.trials} trials"
        )
        if report is not None:
            from alphamoe.research.report import write_walkforward_report

            path = write_walkforward_report(report / "walk-forward.html", f"walk-forward · {name}", wf, setup.objective)
            console.print(f"report: {path}")


def check_strategy(
    name: Annotated[str, typer.Argument(help="strategy name")],
    start: Start,
    end: End,
    params: Params = "",
    data: Data = None,
    universe: Universe = None,
    days: Annotated[int, typer.Option("--days", help="decision days perturbed")] = 12,
    seed: Seed = 0,
) -> None:
    """Check a strategy for look-ahead (later bars perturbed), a survivor-only universe and limit-locked entries."""
    with friendly_errors():
        from alphamoe.backtest.strategies import build_strategy
        from alphamoe.market.bars import BarStore
        from alphamoe.research.bias import limit_cluster, survivorship
        from alphamoe.research.lookahead import check_lookahead

        strategy = build_strategy(name, params or None)
        settings = load_settings(data)
        study_market = _market(settings, start, end, name, universe)
        market = study_market.market
        problems = 0
        found = check_lookahead(strategy, market.panel, days=days, seed=seed)
        if found:
            problems += 1
            first = found[0]
            console.print(
                f"[bold red]LOOK-AHEAD[/]: {len(found)} of {days} perturbed days changed an earlier decision; first: "
                f"{first.output} of {first.symbol} on {first.day} moved when only later bars changed"
            )
        else:
            console.print(f"look-ahead: none (decisions up to {days} sampled days unchanged by perturbed later bars)")
        surv = survivorship(BarStore(settings.data).instruments(), market, parse_day("--end", end))
        if surv.flagged:
            problems += 1
            console.print(
                "[bold red]SURVIVORSHIP[/]: no stock of the universe was delisted or stopped trading over the "
                "range: a survivors-only universe overstates returns"
            )
        else:
            console.print(f"survivorship: {surv.delisted} delisted, {surv.stopped} stopped trading in the universe")
        cluster = limit_cluster(strategy.decisions(market.panel), market)
        line = (
            f"{cluster.on_locked} of {cluster.entries} entries ({cluster.share:.1%}) on limit-locked days; the "
            f"market's share of locked stock-days is {cluster.market_share:.1%}"
        )
        if cluster.flagged:
            problems += 1
            console.print(f"[bold red]LIMIT-LOCKED[/]: {line}")
        else:
            console.print(f"limit-locked entries: {line}")
        if problems:
            raise typer.Exit(1)
