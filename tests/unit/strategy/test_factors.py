"""The factor library, the configured strategies and the registry: values, point in time, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.panels import head
from support.strategy_panels import random_panel

from alphamoe.errors import ConfigurationError
from alphamoe.market.bars import Panel
from alphamoe.strategy import STRATEGIES, strategy_by_name
from alphamoe.strategy.composite import FactorStrategy, MeanReversion, MomentumComposite
from alphamoe.strategy.factors import FACTORS, FactorInputs, compute_factor, factor_params
from alphamoe.strategy.trend_breakout import TrendBreakout

REQUIRED = {
    "momentum",
    "ma_trend",
    "breakout",
    "rsi",
    "volume_surge",
    "volatility",
    "turnover",
    "gap",
    "limit_up_count",
}


@pytest.fixture(scope="module")
def panel() -> Panel:
    return random_panel(rows=140, cols=30, seed=11)


def _value(panel: Panel, name: str, **params: object) -> np.ndarray:
    return compute_factor(FactorInputs(panel), name, factor_params(name, dict(params)))


def test_factor_library_when_listed_then_has_the_required_families_with_typed_defaults() -> None:
    assert set(FACTORS) >= REQUIRED and len(FACTORS) >= 8
    for name, spec in FACTORS.items():
        assert spec.params.model_config.get("frozen"), name
        spec.params()  # every factor has working defaults


@pytest.mark.parametrize("name", sorted(FACTORS))
def test_factor_when_panel_truncated_then_earlier_rows_are_unchanged(panel: Panel, name: str) -> None:
    full = _value(panel, name)
    for rows in (35, 90):
        np.testing.assert_array_equal(_value(head(panel, rows), name), full[:rows])
    assert np.isnan(full[~panel.traded]).all()  # no bar, no value
    assert np.isfinite(full[-1]).any()


def test_factors_when_compared_with_pandas_then_equal_to_rounding(panel: Panel) -> None:
    factor = panel.adjustment_factor()
    close = pd.DataFrame(panel.close * factor)
    high = pd.DataFrame(panel.high * factor)
    volume = pd.DataFrame(panel.volume / factor)
    ma = {w: close.rolling(w).mean() for w in (5, 10, 20)}
    expected = {
        ("momentum", 10): close.pct_change(10, fill_method=None),
        ("ma_trend", 5): ma[5] / ma[20] - 1,
        ("close_to_ma", 10): close / ma[10] - 1,
        ("breakout", 20): close / high.rolling(20).max().shift(1) - 1,
        ("volume_surge", 20): volume / volume.rolling(20).mean().shift(1),
        ("volatility", 20): close.pct_change(fill_method=None).rolling(20).std(),
        ("turnover", 20): pd.DataFrame(panel.amount).rolling(20).mean(),
    }
    params = {
        "momentum": {"window": 10},
        "ma_trend": {"fast": 5, "slow": 20},
        "close_to_ma": {"window": 10},
    }
    for (name, _), frame in expected.items():
        got = _value(panel, name, **params.get(name, {}))
        np.testing.assert_allclose(got, frame.to_numpy(), rtol=1e-8, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(_value(panel, "gap"), panel.open / panel.prev_close - 1, rtol=1e-12)


@pytest.mark.parametrize("cls", [MomentumComposite, MeanReversion])
def test_configured_strategy_when_run_then_entries_exits_and_latest_agree(panel: Panel, cls: type) -> None:
    strategy = cls()
    signals = strategy.signals(panel)
    latest = strategy.latest(panel)

    assert signals.entries.any()
    assert not (signals.entries & signals.exits).any()
    np.testing.assert_array_equal(latest.entries, signals.entries)
    np.testing.assert_array_equal(latest.score, signals.score[-1])
    part = strategy.signals(head(panel, 100))
    np.testing.assert_array_equal(part.entries, signals.entries[:100])
    np.testing.assert_array_equal(part.exits, signals.exits[:100])


def test_factor_strategy_when_configured_inline_then_entries_follow_the_conditions(panel: Panel) -> None:
    strategy = strategy_by_name(
        "factor",
        {
            "score": [{"factor": "momentum", "params": {"window": 5}}],
            "entry": [{"factor": "momentum", "params": {"window": 5}, "op": ">", "threshold": 0.1}],
            "max_holding_days": 3,
        },
    )
    signals = strategy.signals(panel)
    momentum = _value(panel, "momentum", window=5)

    with np.errstate(invalid="ignore"):
        assert not (signals.entries & ~(momentum > 0.1)).any()
    assert isinstance(strategy, FactorStrategy)


def test_strategy_registry_when_listed_then_ships_baseline_and_configured_strategies() -> None:
    assert {"trend_breakout", "momentum_composite", "mean_reversion"} <= set(STRATEGIES)
    assert isinstance(strategy_by_name("trend_breakout"), TrendBreakout)
    assert strategy_by_name("trend_breakout", {"fast_ma": 3}).params.fast_ma == 3  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("trend_breakuot", {}, r"unknown strategy 'trend_breakuot'; valid strategies: factor, mean_reversion, "),
        ("trend_breakout", {"fast_ma": "fast"}, r"fast_ma: Input should be a valid integer.*Valid parameters: "),
        ("trend_breakout", {"speed": 1}, r"speed: Extra inputs are not permitted.*breakout_window \(int, default 20\)"),
        (
            "momentum_composite",
            {"entry": [{"factor": "momentun", "op": ">", "threshold": 0}]},
            r"unknown factor 'momentun'; valid factors: breakout .*volume_surge",
        ),
        (
            "momentum_composite",
            {"entry": [{"factor": "rsi", "params": {"window": "long"}, "op": ">", "threshold": 0}]},
            r"bad parameters for factor rsi: window: Input should be a valid integer.*window \(int, default 14\)",
        ),
        ("mean_reversion", {"exit": [{"factor": "rsi", "op": "=>", "threshold": 1}]}, r"exit.0.op: Input should be"),
        (
            "factor",
            {},
            r"score: Field required.*entry: Field required.*score \(tuple\[FactorTerm, \.\.\.\], required\)",
        ),
    ],
    ids=[
        "unknown-strategy",
        "wrong-type",
        "unknown-param",
        "unknown-factor",
        "factor-param-type",
        "bad-op",
        "no-config",
    ],
)
def test_strategy_by_name_when_input_is_bad_then_clear_message_listing_what_is_valid(
    name: str, params: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        strategy_by_name(name, params)
