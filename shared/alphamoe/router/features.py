"""The features the router's experts read, computed by the router from point-in-time bars, whatever the strategy.

An expert must not depend on which strategy produced a signal: `momentum_composite` keys its features by
factor label, and a panel reading `trend_breakout`'s keys would abstain on every one of its signals. So the
router defines the features its experts may read (`ROUTER_FEATURES`, units in router/config.py) and
computes them itself for a batch of picks (row t, column i of a panel holding bars up to row t, so no
look-ahead) in one compiled pass: the live scan for its day's candidates (the last row of the panel it
loaded, bars up to D−1) and the backtest for all its picks, through the same function. A strategy may add
features of its own to a signal; it never has to provide these.

The values are TrendBreakout's features (strategy/trend_breakout.py documents each), computed by the same
kernel code, so that strategy's signals carry the same numbers as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import numpy.typing as npt

from alphamoe.errors import ConfigurationError

if TYPE_CHECKING:  # the route function checks reads without loading the bar store's stack (pandas, pyarrow)
    from alphamoe.market.bars import FloatArray, Panel

V = TypeVar("V")
ROUTER_FEATURES: tuple[str, ...] = (
    "ret_1d",
    "ret_5d",
    "ret_20d",
    "ma5_over_ma20",
    "close_over_ma20",
    "breakout_margin",
    "volume_ratio",
    "amount_20d",
    "volatility_20d",
    "rsi_14",
    "limit_up_count_5d",
    "gap_open",
)
"""Every feature the router computes, in the kernel's order (`strategy.kernels.pick_features_kernel`)."""


def expert_features(panel: Panel, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64]) -> dict[str, FloatArray]:
    """Return each of `ROUTER_FEATURES` for the picks (rows[k], cols[k]) of `panel`: K values a feature.

    Row t's values read rows ≤ t only. NaN where a window lacks bars (a suspension, too little history):
    the signal then leaves the feature out and an expert reading it abstains, naming it.
    """
    from alphamoe.strategy.indicators import limit_up_hits_at
    from alphamoe.strategy.kernels import LIMIT_HISTORY, kernel_inputs, pick_features_kernel

    rows = np.ascontiguousarray(rows, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    if rows.shape != cols.shape or rows.ndim != 1:
        raise ValueError(f"rows {rows.shape} and cols {cols.shape} must be two vectors of the same length")
    if len(rows) == 0:
        return {key: np.empty(0) for key in ROUTER_FEATURES}
    k = kernel_inputs(panel)
    hits = np.ascontiguousarray(limit_up_hits_at(panel, rows, cols, LIMIT_HISTORY))
    values = pick_features_kernel(k.open, k.high, k.close, k.prev_close, k.volume, k.amount, k.factor, rows, cols, hits)
    return {key: np.ascontiguousarray(values[n]) for n, key in enumerate(ROUTER_FEATURES)}


def with_strategy_features(router: Mapping[str, V], strategy: Mapping[str, V]) -> dict[str, V]:
    """A signal's features: the strategy's own, then the router's (which win: an expert reads one definition)."""
    return {**strategy, **router}


def unknown_reads(reads: Mapping[str, Iterable[str]], known: Iterable[str] = ROUTER_FEATURES) -> dict[str, list[str]]:
    """Return, by expert, the features it reads that nobody computes (empty when every expert can be served)."""
    served = frozenset(known)
    gaps = {name: sorted(set(features) - served) for name, features in reads.items()}
    return {name: gap for name, gap in gaps.items() if gap}


def check_reads(reads: Mapping[str, Iterable[str]], known: Iterable[str] = ROUTER_FEATURES) -> None:
    """Refuse a panel with an expert that can never be served: each such expert with the features it lacks."""
    gaps = unknown_reads(reads, known)
    if gaps:
        named = "; ".join(f"{name} reads {', '.join(gap)}" for name, gap in sorted(gaps.items()))
        raise ConfigurationError(
            f"unknown features: {named}; the router computes {', '.join(sorted(frozenset(known)))}"
        )
