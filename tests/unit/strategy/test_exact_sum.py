"""Exact group sums against `math.fsum`, bit for bit, and the Kelly payoffs they give (issue 21: the Kelly
statistics of every refresh summed each board's trades with a Python list and an fsum per group)."""

from __future__ import annotations

import math

import numpy as np

from alphamoe.strategy.exact_sum import group_partials, union_sum
from alphamoe.strategy.stats import ClosedTrades, kelly_stats


def _fsum_of(values: np.ndarray, group: np.ndarray, groups: list[int]) -> float:
    return math.fsum(values[np.isin(group, groups)].tolist())


def test_union_sum_when_random_and_cancelling_values_then_equals_math_fsum_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    for case in range(60):
        n = int(rng.integers(0, 2000))
        values = rng.standard_normal(n) * 10.0 ** rng.integers(-12, 12, size=n)
        if case % 2:  # the half-even case fsum corrects across partials, and sums that cancel to a few bits
            values = np.concatenate([values, [1e-16, 1.0, 1e16, -1e16, 0.1, -0.1, 0.0]])
        group = rng.integers(-1, 4, size=len(values))  # −1: in no group
        partials, used = group_partials(values, group, 4)
        for groups in ([], [0], [1, 3], [0, 1, 2, 3]):
            got = union_sum(partials, used, np.array(groups, dtype=np.int64))
            assert got == _fsum_of(values, group, groups), (case, groups)


def test_kelly_stats_when_boards_and_zero_returns_then_payoffs_are_the_fsum_ratios() -> None:
    rng = np.random.default_rng(5)
    symbols = ("600000.SH", "600001.SH", "000001.SZ", "300001.SZ", "688001.SH", "000002.SZ")
    column = rng.integers(0, len(symbols), size=5000).astype(np.int64)
    ret = np.round(rng.normal(0.001, 0.05, size=5000), 3)  # rounding makes zero returns: neither win nor loss
    trades = ClosedTrades(column=column, entry_row=np.zeros(5000, np.int64), exit_row=np.ones(5000, np.int64), ret=ret)
    stats = kelly_stats(trades, symbols, prior_strength=0.0)  # no shrinkage: each level's own ratio
    wins, losses = ret[ret > 0], ret[ret < 0]
    universe = (math.fsum(wins.tolist()) / len(wins)) / (math.fsum((-losses).tolist()) / len(losses))
    assert stats.universe_payoff == universe
    main = np.isin(column, [0, 1, 2, 5])  # the main board's four stocks
    board_wins, board_losses = ret[main & (ret > 0)], ret[main & (ret < 0)]
    own = (math.fsum(board_wins.tolist()) / len(board_wins)) / (math.fsum((-board_losses).tolist()) / len(board_losses))
    n = int(main.sum())
    assert stats.prior_payoff[0] == stats.prior_payoff[5] == (n * own + 0.0 * universe) / (n + 0.0)  # k = 0
