"""The router's word on every backtest pick: quant-only, or the live mixture of experts (Quant ∩ Router).

- route "none": every pick is confirmed at `BacktestConfig.confidence` (router/quant_only.py, the same
  verdict the live route stage gives with ALPHAMOE_ROUTE__MODE=none); the backtest measures the quant alone.
- route "symbolic": the standard panel with no model (router/defaults.py: trend, liquidity and the risk
  skeptic judge; the LLM experts are registered unavailable, as on a live day without a model) judges every
  pick at once (router/panel.py: the live router's gate, experts and vote over arrays, the same verdicts and
  confidences, tested), so vetoed and abstained picks are never sized and confirmed ones are sized at the
  panel's confidence. The experts read the features the router computes from the bars of rows ≤ t
  (router/features.py, one pass for every pick), as the live scan computes them for its day: whatever
  the strategy. A router with a non-symbolic expert judges each session's picks through the live `Router`.
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.kelly import KellySchedule
from alphamoe.backtest.market import BacktestMarket, fen_price
from alphamoe.backtest.picks import VERDICTS, FloatArray, IntArray, Picks, scan_picks
from alphamoe.backtest.trusted import trusted
from alphamoe.events.payloads import SignalGenerated
from alphamoe.market.boards import board_of
from alphamoe.router.config import RouterConfig, check_route
from alphamoe.router.features import expert_features, with_strategy_features
from alphamoe.router.quant_only import quant_only_verdict
from alphamoe.strategy.base import StrategySignals

if TYPE_CHECKING:
    from alphamoe.backtest.engine import Progress
    from alphamoe.router.graph import Router

__all__ = ["check_route", "pick_features", "pick_signals", "route_picks"]
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
    """Return every row's picks with the router's verdicts (module docstring)."""
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
    from alphamoe.router.defaults import default_registry
    from alphamoe.router.panel import SymbolicPanel

    router_config = router.config if router else RouterConfig()
    registry = (
        router.registry if router else default_registry(router_config, llm_enabled=False, features=signals.features)
    )
    if router is None or SymbolicPanel.supports(registry):  # the standard panel without a model is symbolic
        rows = np.repeat(np.arange(len(start) - 1), np.diff(start))
        features = pick_features(market, signals, rows, cols)
        boards = np.array([_board_of(s).value for s in market.panel.symbols])[cols].tolist()
        judged = SymbolicPanel(registry, router_config).route(features, [strategy] * n, boards)
        if progress is not None:
            progress(1, 1)
        return Picks(start, cols, judged.verdict, judged.confidence, judged.summaries)
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
    day = market.panel.day(t + 1)
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
    rows = np.full(len(cols), t, dtype=np.int64)
    values = {key: array.tolist() for key, array in pick_features(market, signals, rows, cols).items()}
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


def pick_features(
    market: BacktestMarket, signals: StrategySignals, rows: IntArray, cols: IntArray
) -> dict[str, FloatArray]:
    """The features of picks (rows[k], cols[k]): the strategy's own, if it kept them, then the router's."""
    own = {key: array[rows, cols] for key, array in signals.features.items()}
    computed: dict[str, FloatArray] = with_strategy_features(expert_features(market.panel, rows, cols), own)
    return computed
