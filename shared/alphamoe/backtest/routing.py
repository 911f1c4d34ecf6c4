"""The router's word on every backtest pick: quant-only, or the live mixture of experts (Quant ∩ Router).

- route "none": every pick is confirmed at `BacktestConfig.confidence` (router/quant_only.py, the same
  verdict the live route stage gives with ALPHAMOE_ROUTE__MODE=none); the backtest measures the quant alone.
- route "symbolic": each session's picks go, as one batch, through the live `Router` with the standard
  panel and no model (router/defaults.py: trend, liquidity and the risk skeptic judge; the LLM experts
  are registered unavailable, as on a live day without a model). Same gate, experts and aggregation as
  live, so vetoed and abstained picks are never sized and confirmed ones are sized at the panel's
  confidence. Each signal carries the strategy's features of row t, the scan's own, point in time.
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.kelly import KellySchedule
from alphamoe.backtest.market import BacktestMarket, fen_price
from alphamoe.backtest.picks import VERDICTS, IntArray, Picks, scan_picks
from alphamoe.backtest.trusted import trusted
from alphamoe.events.payloads import SignalGenerated
from alphamoe.market.boards import board_of
from alphamoe.router.config import check_route
from alphamoe.router.quant_only import quant_only_verdict
from alphamoe.strategy.base import StrategySignals

if TYPE_CHECKING:
    from alphamoe.backtest.engine import Progress
    from alphamoe.router.graph import Router

__all__ = ["check_route", "pick_signals", "route_picks"]
_board_of = cache(board_of)  # a pure function of the code, asked for every pick of every session


def route_picks(
    market: BacktestMarket,
    signals: StrategySignals,
    kelly: KellySchedule,
    strategy: str,
    config: BacktestConfig,
    *,
    router: Router | None = None,
    progress: Progress | None = None,
) -> Picks:
    """Return every row's picks with the router's verdicts (module docstring); `signals` need features to route."""
    start, cols = scan_picks(market, signals, config.max_signals)
    n = len(cols)
    if config.route == "none":
        verdict_none, confidence_none, summary = quant_only_verdict(config.confidence)
        return Picks(
            start,
            cols,
            np.full(n, VERDICTS.index(verdict_none), dtype=np.int8),
            np.full(n, confidence_none),
            (summary,) * n,
        )
    if router is None:
        from alphamoe.router.graph import default_router

        router = default_router(llm_enabled=False)
    verdict, confidence = np.empty(n, dtype=np.int8), np.empty(n, dtype=np.float64)
    summaries = [""] * n
    rows = np.flatnonzero(np.diff(start))
    for done, t in enumerate(rows.tolist(), start=1):
        at = slice(int(start[t]), int(start[t + 1]))
        batch = pick_signals(market, signals, kelly, strategy, t, cols[at])
        by_id = {r.signal.signal_id: r for r in router.route_batch(batch)}
        for k, signal in enumerate(batch, start=at.start):
            routed = by_id[signal.signal_id]
            verdict[k] = VERDICTS.index(routed.verdict)
            confidence[k] = routed.confidence
            summaries[k] = routed.reasoning_summary
        if progress is not None:
            progress(done, len(rows))
    return Picks(start, cols, verdict, confidence, tuple(summaries))


def pick_signals(
    market: BacktestMarket, signals: StrategySignals, kelly: KellySchedule, strategy: str, t: int, cols: IntArray
) -> list[SignalGenerated]:
    """The signal.generated of each of row t's picks (`cols`, best first), as the scan emits them for session t+1."""
    day = pd.Timestamp(market.panel.dates[t + 1]).date()
    stats = kelly.at(t)
    symbols = market.panel.symbols
    # each column taken at once from the arrays (the same values, as Python scalars)
    columns = zip(
        cols.tolist(),
        signals.score[t, cols].tolist(),
        market.close[t, cols].tolist(),
        market.prev_close[t + 1, cols].tolist(),
        stats.p_win[cols].tolist(),
        stats.payoff[cols].tolist(),
        stats.n_trades[cols].tolist(),
        strict=True,
    )
    values = {key: array[t, cols].tolist() for key, array in signals.features.items()}
    # trusted: the values come from validated arrays, and validating every pick of ten years of sessions
    # would cost more than the whole rest of the loop
    return [
        trusted(
            SignalGenerated,
            trading_day=day,
            signal_id=f"{day.isoformat()}:{strategy}:{symbols[i]}",
            symbol=symbols[i],
            board=_board_of(symbols[i]),
            strategy=strategy,
            rank=rank,
            score=score,
            reference_price=fen_price(close),
            prev_close=fen_price(prev),
            p_win=p,
            payoff=b,
            n_trades=n,
            features={key: v[rank] for key, v in values.items() if math.isfinite(v[rank])},
            st=False,
        )
        for rank, (i, score, close, prev, p, b, n) in enumerate(columns)
    ]
