"""Exact sums of float groups in one compiled pass: `math.fsum` of each group, and of any union of groups.

Why: the Kelly statistics take a correctly rounded sum (`math.fsum`, so the result does not depend on the
order of the trades) of each board's wins and losses and of the universe's, every refresh of a backtest:
a Python list and an fsum per group cost more than the rest of the statistics. Here each group keeps
Shewchuk's non-overlapping partials (the algorithm `math.fsum` runs), a union merges its groups' partials
exactly, and `rounded` rounds as `math.fsum` does: the correctly rounded sum is unique, so the result is
`math.fsum`'s to the last bit (finite values; `math.fsum` raises on an infinite sum).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from alphamoe.jit import jit

MAX_PARTIALS = 64  # non-overlapping partials of finite doubles: at most ~40 (2098 exponent bits / 53)


@jit
def group_partials(values: Any, group: Any, n_groups: int) -> tuple[Any, Any]:
    """Return each group's exact partials (n_groups × MAX_PARTIALS) and how many it holds: values[k] is
    added to group group[k] (a negative group skips it)."""
    partials = np.zeros((n_groups, MAX_PARTIALS))
    used = np.zeros(n_groups, dtype=np.int64)
    for k in range(values.shape[0]):
        g = group[k]
        if g >= 0:
            used[g] = add_partial(partials[g], used[g], values[k])
    return partials, used


@jit
def union_sum(partials: Any, used: Any, groups: Any) -> float:
    """Return the correctly rounded sum of the groups `groups` (`math.fsum` of all their values)."""
    merged = np.zeros(MAX_PARTIALS)
    n = 0
    for g in groups:
        for j in range(used[g]):
            n = add_partial(merged, n, partials[g, j])
    return rounded(merged, n)


@jit
def add_partial(partials: Any, n: int, x: float) -> int:
    # math.fsum's inner loop: add x to the n non-overlapping partials, exactly; return how many are left
    i = 0
    for j in range(n):
        y = partials[j]
        if abs(x) < abs(y):
            x, y = y, x
        hi = x + y
        lo = y - (hi - x)
        if lo != 0.0:
            partials[i] = lo
            i += 1
        x = hi
    if x != 0.0:  # as math.fsum: a zero is no partial
        partials[i] = x
        i += 1
    return i


@jit
def fsum(values: Any, n: int) -> float:
    """`math.fsum` of values[:n] (the compiled sizing's sums: Kelly fractions of a batch)."""
    partials = np.empty(MAX_PARTIALS)
    m = 0
    for k in range(n):
        m = add_partial(partials, m, values[k])
    return rounded(partials, m)


@jit
def rounded(partials: Any, n: int) -> float:
    """Return the correctly rounded sum of n non-overlapping partials (math.fsum's last step, half to even)."""
    if n == 0:
        return 0.0
    n -= 1
    hi = partials[n]
    lo = 0.0
    while n > 0:
        x = hi
        n -= 1
        y = partials[n]
        hi = x + y
        lo = y - (hi - x)
        if lo != 0.0:
            break
    if n > 0 and ((lo < 0.0 and partials[n - 1] < 0.0) or (lo > 0.0 and partials[n - 1] > 0.0)):
        y = lo * 2.0
        x = hi + y
        if y == x - hi:
            hi = x
    return float(hi)
