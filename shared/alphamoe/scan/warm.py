"""Compile every scan kernel into NUMBA_CACHE_DIR, so a cold process loads machine code instead.

Run at build time (the scan function's `.s2i/bin/assemble`, `make warm`): `python -m alphamoe.scan.warm`.
It scans a small generated panel with each shipped strategy, which calls every kernel with the exact
argument types the live scan uses (column-major float64/bool arrays, int64 and float64 scalars): numba
keys its cache by those types, so a different layout would compile again at the first market open.
`report()` reads the dispatchers' own counters, which is how the tests prove a fresh process compiled
nothing.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from typing import Any

import numpy as np

from alphamoe.market.bars import Panel

KERNELS = (
    "adjustment_factor_kernel",
    "trend_breakout_kernel",
    "simulate_trades_kernel",
    "position_exits_kernel",
    "pick_features_kernel",
)


def sample_panel(rows: int = 80, cols: int = 12, seed: int = 1) -> Panel:
    """A small random-walk panel in the layout the scan's loader produces (Fortran order), one gap."""
    rng = np.random.default_rng(seed)
    close = np.round(10.0 * np.exp(np.cumsum(rng.normal(0.001, 0.02, (rows, cols)), axis=0)), 2)
    close[rows // 2, 0] = np.nan  # a suspended day
    prev = np.vstack([close[:1], close[:-1]])
    prev[rows // 2 + 1, 0] = close[rows // 2 - 1, 0]
    traded = ~np.isnan(close)
    volume = np.where(traded, rng.uniform(1e6, 5e6, (rows, cols)), np.nan)

    def f(values: Any, dtype: Any = np.float64) -> Any:
        return np.asfortranarray(np.where(traded, values, np.nan) if dtype is np.float64 else values, dtype=dtype)

    return Panel(
        dates=np.busday_offset(np.datetime64(date(2025, 1, 2)), np.arange(rows), roll="forward"),
        symbols=tuple(f"{600000 + i:06d}.SH" for i in range(cols)),
        open=f(prev),
        high=f(np.fmax(prev, close) * 1.01),
        low=f(np.fmin(prev, close) * 0.99),
        close=f(close),
        prev_close=f(prev),
        volume=f(volume),
        amount=f(volume * close * 10),
        st=np.asfortranarray(np.zeros((rows, cols), dtype=bool)),
        listing_index=np.asfortranarray(np.where(traded, 500 + np.arange(rows)[:, None], -1).astype(np.int32)),
    )


def warm() -> dict[str, dict[str, int]]:
    """Run every kernel once through the public paths; return each kernel's cache hits and misses."""
    from alphamoe.router.features import expert_features
    from alphamoe.strategy.registry import STRATEGIES, strategy_by_name
    from alphamoe.strategy.stats import strategy_stats

    panel = sample_panel()
    for name in STRATEGIES:
        if name == "factor":  # the bare configurable strategy: the presets cover its code
            continue
        strategy = strategy_by_name(name)
        strategy_stats(panel, strategy.latest(panel))
        strategy.signals(panel)
    last = np.full(len(panel.symbols), len(panel.dates) - 1, dtype=np.int64)
    expert_features(panel, last, np.arange(len(panel.symbols), dtype=np.int64))  # the router's, for the candidates
    return report()


def report() -> dict[str, dict[str, int]]:
    """Return {kernel: {"hits": …, "misses": …}} of this process (numba's dispatcher counters)."""
    from alphamoe.strategy import kernels

    out: dict[str, dict[str, int]] = {}
    for name in KERNELS:
        stats = getattr(kernels, name).stats
        out[name] = {"hits": int(sum(stats.cache_hits.values())), "misses": int(sum(stats.cache_misses.values()))}
    return out


def main(argv: list[str] | None = None) -> int:
    """Warm the cache; with `--check`, fail (exit 1) when any kernel had to compile: the cache was not reused."""
    args = sys.argv[1:] if argv is None else argv
    started = time.perf_counter()
    counts = warm()
    where = os.environ.get("NUMBA_CACHE_DIR", "<numba default: __pycache__ beside the sources>")
    print(json.dumps({"cache_dir": where, "seconds": round(time.perf_counter() - started, 2), "kernels": counts}))
    compiled = sorted(name for name, c in counts.items() if c["misses"])
    if "--check" in args and compiled:
        print(f"numba cache in {where} was not reused: compiled {', '.join(compiled)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
