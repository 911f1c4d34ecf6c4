from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from support.hand_panels import hand_panel

from alphamoe.market.limits import limit_prices
from alphamoe.strategy.indicators import at_limit_up, limit_up_prices, rolling_mean, rolling_std, rsi

SYMBOLS = ("600000.SH", "000001.SZ", "300750.SZ", "688981.SH", "830799.BJ")


@pytest.mark.parametrize("start", [date(2020, 8, 19), date(2025, 7, 2)], ids=["chinext-reform", "main-st-2025"])
def test_limit_up_prices_when_boards_st_and_listing_days_vary_then_match_scalar_limit_prices(start: date) -> None:
    rng = np.random.default_rng(3)
    rows, cols = 8, len(SYMBOLS)
    prev_close = np.round(rng.uniform(1.0, 80.0, size=(rows, cols)), 2)
    prev_close[0, 0] = 10.05  # 11.055 in decimals: half up gives 11.06, float rounding would not
    st = rng.random((rows, cols)) < 0.4
    panel = hand_panel(prev_close, SYMBOLS, prev_close=prev_close, st=st, listing_start=0, start=start)

    vectorised = limit_up_prices(panel)

    for t in range(rows):
        day = pd.Timestamp(panel.dates[t]).date()
        for i, symbol in enumerate(SYMBOLS):
            band = limit_prices(
                symbol,
                Decimal(str(prev_close[t, i])),
                day,
                st=bool(st[t, i]),
                listing_day_index=int(panel.listing_index[t, i]),
            )
            expected = float(band.up) if band.limited else np.inf
            assert vectorised[t, i] == pytest.approx(expected, abs=1e-9), (symbol, day, st[t, i], t)
    assert vectorised[0, 0] == np.inf  # listing day 0 of the main board: no limit
    assert np.isfinite(vectorised[5:, 0]).all()


def test_at_limit_up_when_close_equals_rounded_limit_then_true_and_one_tick_below_false() -> None:
    prev = np.array([[10.05], [10.05], [10.05]])
    close = np.array([[11.06], [11.05], [11.06]])
    panel = hand_panel(close, prev_close=prev)

    assert at_limit_up(panel)[:, 0].tolist() == [True, False, True]


def test_rsi_when_window_has_gains_and_losses_then_simple_average_ratio() -> None:
    close = np.array([[10.0], [11.0], [10.5], [11.5]])

    out = rsi(close, window=3)

    assert out[3, 0] == pytest.approx(100 * (1.0 + 1.0) / (1.0 + 1.0 + 0.5))
    assert np.isnan(out[2, 0])


def test_rolling_mean_when_window_has_a_gap_then_nan_until_a_full_window_passes() -> None:
    values = np.array([[1.0], [2.0], [np.nan], [4.0], [5.0], [6.0]])

    out = rolling_mean(values, 2)

    assert np.isnan(out[[0, 2, 3], 0]).all()
    assert out[[1, 4, 5], 0].tolist() == [1.5, 4.5, 5.5]


def test_rolling_std_when_returns_given_then_matches_sample_std_of_each_window() -> None:
    values = np.random.default_rng(4).normal(0.001, 0.02, size=(60, 3))

    out = rolling_std(values, 20)

    expected = [[np.std(values[t - 19 : t + 1, i], ddof=1) for i in range(3)] for t in range(19, 60)]
    np.testing.assert_allclose(out[19:], expected, rtol=1e-8)
    assert np.isnan(out[:19]).all()
