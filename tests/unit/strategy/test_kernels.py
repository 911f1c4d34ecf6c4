"""The fused kernels against their references: the NumPy fold oracle (bit for bit), VectorBT's and pandas'
indicators (to rounding), VectorBT's trades (record for record), on synthetic and real stocks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.panels import head
from support.reference_trend_breakout import reference_signals
from support.strategy_panels import random_panel, real_panel

from alphamoe.market.bars import Panel
from alphamoe.strategy.base import StrategySignals
from alphamoe.strategy.kernels import adjustment_factor_kernel, kernel_inputs
from alphamoe.strategy.stats import closed_trades, closed_trades_vectorbt
from alphamoe.strategy.trend_breakout import FEATURE_KEYS, TrendBreakout, TrendBreakoutParams


@pytest.fixture(scope="module")
def synthetic() -> Panel:
    return random_panel()


@pytest.fixture(scope="module")
def real(real_daily: object, tmp_path_factory: pytest.TempPathFactory) -> Panel:
    return real_panel(real_daily, tmp_path_factory.mktemp("real-store"))


@pytest.fixture(params=["synthetic", "real"])
def panel(request: pytest.FixtureRequest) -> Panel:
    out: Panel = request.getfixturevalue(request.param)
    return out


def _frame(panel: Panel, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(values, index=pd.DatetimeIndex(panel.dates), columns=list(panel.symbols))


def test_adjustment_factor_kernel_when_ex_rights_and_suspensions_then_equals_panel_factor(panel: Panel) -> None:
    k = kernel_inputs(panel)

    np.testing.assert_array_equal(adjustment_factor_kernel(k.close, k.prev_close, k.traded), panel.adjustment_factor())


@pytest.mark.parametrize(
    "params",
    [
        TrendBreakoutParams(),
        TrendBreakoutParams(breakout_window=10, fast_ma=3, slow_ma=30, min_amount=0, max_holding_days=4),
    ],
    ids=["defaults", "short-windows"],
)
def test_trend_breakout_kernel_when_run_then_equals_numpy_fold_reference_bit_for_bit(
    panel: Panel, params: TrendBreakoutParams
) -> None:
    out = TrendBreakout(params).signals(panel)
    ref = reference_signals(panel, params)

    assert out.entries.any() and out.exits.any()  # the panels exercise both rules
    np.testing.assert_array_equal(out.entries, ref.entries)
    np.testing.assert_array_equal(out.exits, ref.exits)
    for key in FEATURE_KEYS:
        np.testing.assert_array_equal(out.features[key], ref.features[key], err_msg=key)
    np.testing.assert_allclose(out.score, ref.score, rtol=1e-13, atol=0)  # libm log vs NumPy's: an ulp


def test_trend_breakout_features_when_compared_with_vectorbt_and_pandas_then_equal_to_rounding(panel: Panel) -> None:
    import vectorbt as vbt

    out = TrendBreakout().signals(panel).features
    factor = panel.adjustment_factor()
    close, high = _frame(panel, panel.close * factor), _frame(panel, panel.high * factor)
    volume, amount = _frame(panel, panel.volume / factor), _frame(panel, panel.amount)
    ma5 = vbt.MA.run(close, 5).ma.to_numpy()
    ma20 = vbt.MA.run(close, 20).ma.to_numpy()
    vbt_rsi = vbt.RSI.run(close, 14, ewm=False).rsi.to_numpy()
    expected = {
        "ret_5d": close.pct_change(5, fill_method=None).to_numpy(),
        "ma5_over_ma20": ma5 / ma20 - 1,
        "close_over_ma20": close.to_numpy() / ma20 - 1,
        "breakout_margin": (close / high.rolling(20).max().shift(1) - 1).to_numpy(),
        "volume_ratio": (volume / volume.rolling(20).mean().shift(1)).to_numpy(),
        "amount_20d": amount.rolling(20).mean().to_numpy(),
        "volatility_20d": close.pct_change(fill_method=None).rolling(20).std().to_numpy(),
    }
    for key, values in expected.items():
        np.testing.assert_allclose(out[key], values, rtol=1e-8, atol=1e-12, err_msg=key)
    moving = np.isfinite(vbt_rsi) & (out["rsi_14"] != 50.0)  # VectorBT divides 0/0 on flat windows
    assert moving.sum() > 0.5 * np.isfinite(out["rsi_14"]).sum()
    np.testing.assert_allclose(out["rsi_14"][moving], vbt_rsi[moving], rtol=1e-8)


def _random_signals(panel: Panel, seed: int) -> StrategySignals:
    rng = np.random.default_rng(seed)
    shape = panel.close.shape
    entries, exits = rng.random(shape) < 0.08, rng.random(shape) < 0.08  # same-row conflicts included
    return StrategySignals(entries=entries, exits=exits, score=np.zeros(shape), features={})


@pytest.mark.parametrize("source", ["trend_breakout", "random"])
def test_simulate_trades_kernel_when_compared_with_vectorbt_from_signals_then_same_trades(
    panel: Panel, source: str
) -> None:
    signals = TrendBreakout().signals(panel) if source == "trend_breakout" else _random_signals(panel, 3)

    ours = closed_trades(panel, signals, fee_rate=0.0005)
    theirs = closed_trades_vectorbt(panel, signals, fee_rate=0.0005)

    assert len(ours.ret) > 0
    np.testing.assert_array_equal(ours.column, theirs.column)
    np.testing.assert_array_equal(ours.entry_row, theirs.entry_row)
    np.testing.assert_array_equal(ours.exit_row, theirs.exit_row)
    np.testing.assert_allclose(ours.ret, theirs.ret, rtol=1e-10, atol=1e-15)


def test_trend_breakout_when_panel_truncated_then_earlier_rows_do_not_change(synthetic: Panel) -> None:
    full = TrendBreakout().signals(synthetic)
    for rows in (40, 97, 131):
        part = TrendBreakout().signals(head(synthetic, rows))
        np.testing.assert_array_equal(part.entries, full.entries[:rows])
        np.testing.assert_array_equal(part.exits, full.exits[:rows])
        np.testing.assert_array_equal(part.score, full.score[:rows])
        for key in FEATURE_KEYS:
            np.testing.assert_array_equal(part.features[key], full.features[key][:rows])


def test_latest_when_computed_for_the_last_row_only_then_equals_the_full_signals(panel: Panel) -> None:
    strategy = TrendBreakout()
    full, latest = strategy.signals(panel), strategy.latest(panel)

    np.testing.assert_array_equal(latest.entries, full.entries)
    np.testing.assert_array_equal(latest.exits, full.exits)
    np.testing.assert_array_equal(latest.score, full.score[-1])
    assert set(latest.features) == set(FEATURE_KEYS)
    for key in FEATURE_KEYS:
        np.testing.assert_array_equal(latest.features[key], full.features[key][-1])


def test_decisions_when_backtest_asks_then_entries_exits_and_entry_scores_equal_the_full_signals(panel: Panel) -> None:
    strategy = TrendBreakout()
    full, decided = strategy.signals(panel), strategy.decisions(panel)

    assert full.entries.any() and decided.features == {}
    np.testing.assert_array_equal(decided.entries, full.entries)
    np.testing.assert_array_equal(decided.exits, full.exits)
    np.testing.assert_array_equal(decided.score[full.entries], full.score[full.entries])
    assert np.isnan(decided.score[~full.entries]).all()  # no score is computed off entry rows


def test_kernel_inputs_when_panel_is_c_ordered_then_column_major_copies_with_equal_values(synthetic: Panel) -> None:
    k = kernel_inputs(synthetic)

    assert k.close.flags.f_contiguous and k.traded.flags.f_contiguous
    np.testing.assert_array_equal(k.close, synthetic.close)
    assert kernel_inputs(synthetic) is k  # the scan asks twice per panel: built once


def test_real_panel_when_built_then_spans_years_and_boards(real: Panel) -> None:
    assert len(real.dates) >= 500
    assert {s[-2:] for s in real.symbols} == {"SH", "SZ", "BJ"}
