"""Look-ahead check for any strategy: perturb the bars after a decision day, and no decision up to it may change.

For each sampled decision day t, every bar after t is scaled by a random factor (prices) and shuffled
(volume, amount), then the strategy runs again; its entries, exits and entry scores of rows ≤ t must equal
the unperturbed run's. A change names the day, the stock and the output that moved.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from alphamoe.market.bars import Panel
from alphamoe.strategy.base import Strategy, StrategySignals


@dataclass(frozen=True)
class LookAhead:
    """A decision that changed when only later bars did."""

    day: str
    symbol: str
    output: str


def perturbed(panel: Panel, after: int, rng: np.random.Generator) -> Panel:
    """Return `panel` with every bar of rows > `after` changed (prices scaled together, volumes shuffled)."""
    rows = slice(after + 1, None)
    scale = rng.uniform(0.7, 1.3, size=panel.close[rows].shape)
    out = {}
    for name in ("open", "high", "low", "close", "prev_close"):
        values = getattr(panel, name).copy()
        values[rows] = values[rows] * scale
        out[name] = values
    for name in ("volume", "amount"):
        values = getattr(panel, name).copy()
        values[rows] = rng.permutation(values[rows].ravel()).reshape(values[rows].shape)
        out[name] = values
    return dataclasses.replace(panel, **out)


def _differs(a: StrategySignals, b: StrategySignals, upto: int) -> tuple[int, int, str] | None:
    for name in ("entries", "exits"):
        x, y = getattr(a, name)[: upto + 1], getattr(b, name)[: upto + 1]
        bad = np.argwhere(x != y)
        if len(bad):
            return int(bad[0][0]), int(bad[0][1]), name
    on = a.entries[: upto + 1]
    x, y = a.score[: upto + 1], b.score[: upto + 1]
    bad = np.argwhere(on & ~((x == y) | (np.isnan(x) & np.isnan(y))))
    if len(bad):
        return int(bad[0][0]), int(bad[0][1]), "score"
    return None


def check_lookahead(strategy: Strategy, panel: Panel, days: int = 12, seed: int = 0) -> list[LookAhead]:
    """Return the decisions that changed under perturbed later bars, over `days` sampled decision days."""
    rng = np.random.default_rng(seed)
    base = strategy.decisions(panel)
    n = panel.close.shape[0]
    found: list[LookAhead] = []
    for t in sorted({int(x) for x in np.linspace(n // 4, n - 2, days)}):
        moved = _differs(base, strategy.decisions(perturbed(panel, t, rng)), t)
        if moved is not None:
            row, col, output = moved
            found.append(LookAhead(str(panel.dates[row])[:10], panel.symbols[col], output))
    return found
