"""The Kelly criterion: the growth-optimal fraction of equity to bet on one signal."""

from __future__ import annotations

import math


def kelly_fraction(p: float, b: float) -> float:
    """Return f* = p - (1 - p) / b for win rate `p` and payoff `b` (average win / average loss).

    A signal without an edge (f* <= 0), or with inputs that are not a probability and a positive
    payoff, gets 0: long-only A-shares cannot bet the other way.
    """
    if not (0.0 <= p <= 1.0) or not (b > 0.0) or not math.isfinite(b):
        return 0.0
    return max(p - (1.0 - p) / b, 0.0)
