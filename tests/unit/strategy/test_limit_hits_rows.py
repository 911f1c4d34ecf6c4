"""Limit-up hits of the last rows only (issue 21: a backtest's decisions paid for whole-panel temporaries of
the hits, though they read none of them), in the layout the kernels walk."""

from __future__ import annotations

import numpy as np
from support.strategy_panels import random_panel

from alphamoe.strategy.indicators import limit_up_hits, limit_up_prices


def test_limit_up_hits_when_first_row_then_the_whole_panel_rule_from_it_and_false_before() -> None:
    panel = random_panel()
    rows = len(panel.dates)
    for first in (0, 37, rows - 4, rows):
        up = limit_up_prices(panel, first_row=first)
        with np.errstate(invalid="ignore"):
            want = np.isfinite(up) & (panel.close >= up - 0.005) & panel.traded
        got = limit_up_hits(panel, first_row=first, order="F")
        assert got.flags.f_contiguous and got.dtype == np.bool_
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(limit_up_hits(panel, first_row=first), want)
    assert limit_up_hits(panel).any(), "the random panel closes at limit-up somewhere"
