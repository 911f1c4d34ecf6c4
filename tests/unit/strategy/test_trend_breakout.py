from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from support.hand_panels import climb, hand_panel

from alphamoe.strategy.base import StrategyParams
from alphamoe.strategy.trend_breakout import FEATURE_KEYS, TrendBreakout, TrendBreakoutParams

SPIKE_ROW = 30


def _breakout_closes(after: list[float] | None = None) -> list[float]:
    # 30 sessions climbing 0.2% a day, then +5% on row 30
    closes = climb(SPIKE_ROW)
    closes.append(round(closes[-1] * 1.05, 2))
    return closes + (after or [])


def _spike_volume(n: int, rows: tuple[int, ...] = (SPIKE_ROW,), ratio: float = 2.0) -> np.ndarray:
    volume = np.full((n, 1), 10_000_000.0)
    volume[list(rows)] *= ratio
    return volume


def _rising_after(closes: list[float], n: int) -> list[float]:
    return [round(closes[-1] * 1.002 ** (k + 1), 2) for k in range(n)]


def test_signals_when_close_breaks_prior_high_on_volume_then_enters_on_that_row_only() -> None:
    closes = _breakout_closes()
    panel = hand_panel([[c] for c in closes], volume=_spike_volume(len(closes)))

    out = TrendBreakout().signals(panel)

    assert np.flatnonzero(out.entries[:, 0]).tolist() == [SPIKE_ROW]
    prior_high = closes[SPIKE_ROW - 1]  # the climb's high is its close; row 30's own high is not in the window
    assert out.features["breakout_margin"][SPIKE_ROW, 0] == pytest.approx(closes[SPIKE_ROW] / prior_high - 1)
    assert out.features["volume_ratio"][SPIKE_ROW, 0] == pytest.approx(2.0)
    assert np.isfinite(out.score[SPIKE_ROW, 0])


@pytest.mark.parametrize(
    ("volume_ratio", "daily_shares", "entered"),
    [(1.19, 10_000_000.0, False), (1.2, 10_000_000.0, True), (2.0, 1_000_000.0, False)],
    ids=["volume-ratio-below-1.2", "volume-ratio-at-1.2", "average-amount-below-20-million"],
)
def test_signals_when_volume_or_liquidity_filter_fails_then_no_entry(
    volume_ratio: float, daily_shares: float, entered: bool
) -> None:
    closes = _breakout_closes()  # ~10.6 CNY: 1 million shares a day is ~10.6 million CNY of amount
    volume = _spike_volume(len(closes), ratio=volume_ratio) * (daily_shares / 10_000_000.0)

    out = TrendBreakout().signals(hand_panel([[c] for c in closes], volume=volume))

    assert bool(out.entries[SPIKE_ROW, 0]) is entered


def test_signals_when_close_falls_below_ma10_while_held_then_exits_that_row() -> None:
    closes = _breakout_closes()
    closes += _rising_after(closes, 4)
    closes.append(round(closes[-1] * 0.9, 2))  # row 35 closes below MA10
    panel = hand_panel([[c] for c in closes], volume=_spike_volume(len(closes)))

    out = TrendBreakout().signals(panel)

    assert np.flatnonzero(out.exits[:, 0]).tolist() == [SPIKE_ROW + 5]


def test_signals_when_max_holding_days_pass_then_exits_after_that_many_sessions() -> None:
    closes = _breakout_closes()
    closes += _rising_after(closes, 8)
    panel = hand_panel([[c] for c in closes], volume=_spike_volume(len(closes)))

    out = TrendBreakout(TrendBreakoutParams(max_holding_days=3)).signals(panel)

    assert np.flatnonzero(out.exits[:, 0]).tolist() == [SPIKE_ROW + 3]


def test_signals_when_close_falls_below_ma10_without_position_then_no_exit() -> None:
    closes = climb(SPIKE_ROW)
    closes.append(round(closes[-1] * 0.9, 2))

    out = TrendBreakout().signals(hand_panel([[c] for c in closes]))

    assert not out.exits.any()


def test_signals_when_computed_then_features_are_exactly_the_documented_keys() -> None:
    closes = _breakout_closes()
    out = TrendBreakout().signals(hand_panel([[c] for c in closes], volume=_spike_volume(len(closes))))

    assert tuple(out.features) == FEATURE_KEYS
    assert len(FEATURE_KEYS) == 12
    assert all(np.isfinite(v[SPIKE_ROW, 0]) for v in out.features.values())


def test_signals_when_window_spans_a_suspension_then_nan_features_and_no_entry() -> None:
    closes: list[float] = list(_breakout_closes())
    closes[25] = float("nan")  # suspended five sessions before the breakout
    panel = hand_panel([[c] for c in closes], volume=_spike_volume(len(closes)))

    out = TrendBreakout().signals(panel)

    assert all(np.isnan(v[25, 0]) for v in out.features.values())
    assert np.isnan(out.features["ma5_over_ma20"][SPIKE_ROW, 0])
    assert not out.entries.any()
    assert not out.exits[25].any()


def test_signals_when_stock_goes_ex_rights_then_adjusted_features_do_not_see_the_price_halving() -> None:
    closes = np.round(np.array(climb(40)) / 0.02) * 0.02  # even fen, so halving stays exact
    plain = hand_panel(closes[:, None], volume=_spike_volume(40, rows=()))
    bonus_close = np.where(np.arange(40) >= 20, closes / 2, closes)[:, None]
    prev_close = np.vstack([bonus_close[:1], bonus_close[:-1]])
    prev_close[20] = closes[19] / 2  # the exchange's ex-rights previous close of a 10-for-10 bonus
    shares = np.where(np.arange(40) >= 20, 20_000_000.0, 10_000_000.0)[:, None]  # twice the shares after
    bonus = hand_panel(bonus_close, prev_close=prev_close, volume=shares)

    a, b = TrendBreakout().signals(plain), TrendBreakout().signals(bonus)

    assert bonus.close[20, 0] == pytest.approx(plain.close[20, 0] / 2)
    for key in FEATURE_KEYS:
        np.testing.assert_allclose(b.features[key], a.features[key], rtol=1e-9, atol=1e-12, err_msg=key)


def test_signals_when_two_limit_up_closes_in_five_sessions_then_limit_up_count_is_two() -> None:
    closes = climb(25)
    for jump in (True, False, True, False, False, False):
        prev = closes[-1]
        closes.append(np.floor(prev * 1.1 * 100 + 0.5) / 100 if jump else round(prev * 1.099, 2))

    out = TrendBreakout().signals(hand_panel([[c] for c in closes]))

    counts = out.features["limit_up_count_5d"][:, 0]
    assert counts[24] == 0  # +9.9% is not the limit
    assert counts[29] == 2  # rows 25 and 27 in rows 25..29
    assert counts[30] == 1  # row 25 left the window


def test_signals_when_open_gaps_up_then_gap_open_is_open_over_prev_close() -> None:
    closes = climb(30)
    opens = np.array([[closes[max(t - 1, 0)]] for t in range(30)])
    opens[-1, 0] = round(closes[-2] * 1.03, 2)

    out = TrendBreakout().signals(hand_panel([[c] for c in closes], open_=opens))

    assert out.features["gap_open"][-1, 0] == pytest.approx(opens[-1, 0] / closes[-2] - 1)


def test_trend_breakout_when_params_given_then_typed_frozen_and_checked() -> None:
    strategy = TrendBreakout(TrendBreakoutParams(breakout_window=30))

    assert strategy.params.breakout_window == 30
    assert TrendBreakout().params == TrendBreakoutParams()
    assert TrendBreakout.name == "trend_breakout"
    with pytest.raises(ValidationError):
        strategy.params.breakout_window = 10  # type: ignore[misc]
    with pytest.raises(TypeError, match="takes TrendBreakoutParams"):
        TrendBreakout(StrategyParams())
