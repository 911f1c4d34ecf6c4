"""Run a span day by day through the live pipeline on one account, and as one backtest, and compare.

The local cluster's side (tests/integration/test_cluster_equals_backtest.py) adds each session's stored
end-of-day report with `add_day`, as `run_live` does with `run_day`'s.

The live side is `pipeline.run.run_day` for each session (the account carries through `AccountBook`
snapshots under the runs folder, exactly as `alphamoe run --date D` on successive days); the backtest side
is `backtest.engine.prepare` + the compiled engine, configured from the same settings as the CLI does.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from alphamoe.market.bars import BarStore
from alphamoe.report.day import DayReport
from alphamoe.router.config import RouteMode, RouteSettings
from alphamoe.settings import Settings

Fill = tuple[date, str, str, int, Decimal, Decimal]  # day, symbol, side, quantity, price, fees


@dataclass
class SpanRun:
    """Fills and each session's closing equity (CNY, to the fen), plus each day's signals' Kelly p/b (by day,
    strategy and symbol: a strategy book's strategies may pick one stock with their own p/b)."""

    fills: list[Fill] = field(default_factory=list)
    equity: dict[date, Decimal] = field(default_factory=dict)
    kelly: dict[tuple[date, str, str], tuple[float, float]] = field(default_factory=dict)


def write_real_store(real_daily_dir: Path, out: Path) -> Path:
    """Write the real daily data as a bar store under `out` (what both sides read)."""
    from alphamoe.data.ganlei import write_ganlei

    write_ganlei(real_daily_dir, out)
    return out


def add_day(out: SpanRun, report: DayReport) -> None:
    """Add one session's day report (in process or from the cluster) to `out`: fills, equity, Kelly p/b."""
    day = report.trading_day
    out.fills += [(day, f.symbol, f.side.value, f.quantity, f.price, f.fees) for f in report.fills]
    out.equity[day] = report.equity.quantize(Decimal("0.01"))
    out.kelly.update({(day, s.strategy, s.symbol): (s.p_win, s.payoff) for s in report.signals})


def sessions_between(store_root: Path, start: date, end: date) -> list[date]:
    return [d for d in BarStore(store_root).sessions() if start <= d <= end]


def run_live(
    store_root: Path,
    runs: Path,
    start: date,
    end: date,
    route: RouteMode = "symbolic",
    book: dict[str, float] | None = None,
) -> SpanRun:
    """Run every session of [start, end] with `run_day` on one account (snapshots under `runs`).

    `route` is the live route mode (ALPHAMOE_ROUTE__MODE): "symbolic" the default panel without a model,
    "none" quant only; `book` a strategy book (ALPHAMOE_SCAN__STRATEGIES).
    """
    from alphamoe.pipeline.factory import build_stages
    from alphamoe.pipeline.run import run_day, with_event_key
    from alphamoe.scan.config import ScanSettings

    scan = ScanSettings(strategies=book or {})
    settings = with_event_key(Settings(data=store_root, runs=runs, route=RouteSettings(mode=route), scan=scan))
    out = SpanRun()
    for day in sessions_between(store_root, start, end):
        stages = build_stages(settings, secret=secrets.token_bytes(32))
        add_day(out, run_day(settings, day, stages=stages).report)
    return out


def run_backtest(
    store_root: Path, start: date, end: date, route: RouteMode, book: dict[str, float] | None = None
) -> SpanRun:
    """Backtest [start, end] with the CLI's configuration from the same settings (compiled engine; a strategy
    `book` on the reference engine, each strategy's share in `strategy_capital`, as `alphamoe backtest`)."""
    from alphamoe.backtest.compiled.engine import simulate_compiled
    from alphamoe.backtest.config import BacktestConfig
    from alphamoe.backtest.engine import prepare, simulate
    from alphamoe.backtest.strategies import DEFAULT_STRATEGY, build_strategy
    from alphamoe.sizing.config import SizingConfig

    settings = Settings(data=store_root)
    capital = {"strategy_capital": book or {}}
    config = BacktestConfig(
        initial_cash=settings.initial_cash,
        sizing=SizingConfig.model_validate({**settings.sizing.model_dump(), **capital}),
        risk=settings.risk,
        commission=settings.commission,
        warmup=settings.lookback,
        stats_lookback=settings.lookback,
        route=route,
    )
    strategies = [build_strategy(name) for name in book] if book else build_strategy(DEFAULT_STRATEGY, None)
    prepared = prepare(BarStore(store_root), start, end, strategies, config)
    result = simulate(prepared) if book else simulate_compiled(prepared)
    out = SpanRun()
    out.fills = [(t.day, t.symbol, t.side.value, t.quantity, t.price, t.fees) for t in result.trades]
    out.equity = {p.day: Decimal(str(p.equity)).quantize(Decimal("0.01")) for p in result.equity}
    out.kelly = picks_kelly(prepared)
    return out


def picks_kelly(prepared: object) -> dict[tuple[date, str, str], tuple[float, float]]:
    """Each session's picks (of every strategy of a book) with the Kelly p/b the backtest sizes them with."""
    import pandas as pd

    from alphamoe.backtest.engine import Prepared

    assert isinstance(prepared, Prepared)
    market = prepared.market
    panel = market.panel
    out: dict[tuple[date, str, str], tuple[float, float]] = {}
    for leg in prepared.legs:
        for t in range(max(market.first_row - 1, 0), panel.close.shape[0] - 1):
            day = pd.Timestamp(panel.dates[t + 1]).date()
            stats = leg.kelly.at(t)
            for c in leg.picks.cols[leg.picks.at(t)]:
                out[(day, leg.strategy, panel.symbols[int(c)])] = (float(stats.p_win[c]), float(stats.payoff[c]))
    return out


def differences(live: SpanRun, backtest: SpanRun) -> dict[str, list[Any]]:
    """What differs: fills only on one side, sessions whose closing equity differs, Kelly p/b that differ."""
    lf, bf = set(live.fills), set(backtest.fills)
    days = sorted(live.equity.keys() & backtest.equity.keys())
    shared = live.kelly.keys() & backtest.kelly.keys()
    return {
        "live_only_fills": sorted(lf - bf),
        "backtest_only_fills": sorted(bf - lf),
        "equity": [(d, live.equity[d], backtest.equity[d]) for d in days if live.equity[d] != backtest.equity[d]],
        "kelly": sorted((k, live.kelly[k], backtest.kelly[k]) for k in shared if live.kelly[k] != backtest.kelly[k]),
        "picks_only_live": sorted(live.kelly.keys() - backtest.kelly.keys()),
        "picks_only_backtest": sorted(backtest.kelly.keys() - live.kelly.keys()),
    }
