"""The router computes its experts' features from the bars itself, so every strategy's signals can be judged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np
import pytest
from support.panels import head
from support.scan_market import day_of, make_market, reference_at

from alphamoe.errors import ConfigurationError
from alphamoe.market.bars import Panel
from alphamoe.router.config import RouterConfig
from alphamoe.router.defaults import default_registry
from alphamoe.router.experts import ExpertRegistry
from alphamoe.router.features import ROUTER_FEATURES, expert_features
from alphamoe.router.graph import default_router
from alphamoe.router.symbolic import Assessment, BatchAssessment, FloatArray, LiquidityExpert, SymbolicExpert
from alphamoe.scan.scanner import scan_day
from alphamoe.strategy.registry import strategy_by_name
from alphamoe.strategy.trend_breakout import TrendBreakout
from alphamoe.types import Verdict


@pytest.fixture(scope="module")
def panel() -> Panel:
    return make_market()


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def test_features_when_computed_for_picks_then_bit_for_bit_trend_breakouts_at_every_bar(panel: Panel) -> None:
    full = TrendBreakout().signals(panel).features
    rows, cols = np.nonzero(panel.traded)
    computed = expert_features(panel, rows.astype(np.int64), cols.astype(np.int64))
    assert tuple(computed) == ROUTER_FEATURES
    for key in ROUTER_FEATURES:
        assert same(computed[key], full[key][rows, cols]), key
    assert np.isfinite(computed["limit_up_count_5d"]).mean() > 0.9


def test_features_when_later_bars_exist_then_row_t_is_unchanged(panel: Panel) -> None:
    # no look-ahead: row t's features from the whole panel equal those from the panel ending at row t
    for t in (0, 3, 19, 20, 21, 150, 279):
        cols = np.arange(len(panel.symbols), dtype=np.int64)
        rows = np.full(len(cols), t, dtype=np.int64)
        whole, known = expert_features(panel, rows, cols), expert_features(head(panel, t + 1), rows, cols)
        for key in ROUTER_FEATURES:
            assert same(whole[key], known[key]), (t, key)
    early = expert_features(panel, np.array([3], dtype=np.int64), np.array([0], dtype=np.int64))
    assert np.isnan(early["ret_20d"][0]) and np.isfinite(early["ret_1d"][0])  # too little history: left out


@pytest.mark.parametrize("name", ["momentum_composite", "mean_reversion", "trend_breakout"])
def test_scan_when_any_strategy_then_signals_carry_every_router_feature_and_experts_judge(
    panel: Panel, name: str
) -> None:
    # the issue: momentum_composite's signals were all "abstain (missing features: ma5_over_ma20, …)"
    strategy = strategy_by_name(name)
    signals = []
    for row in range(200, 300, 2):
        signals += scan_day(head(panel, row), day_of(panel, row), reference_at(panel, row), strategy).signals
    assert len(signals) >= 5, f"{name}: too few signals to judge"
    router = default_router(llm_enabled=False)
    routed = router.route_batch(signals)
    served = [s for s in signals if set(ROUTER_FEATURES) <= set(s.features)]
    assert len(served) >= 0.9 * len(signals), f"{len(served)} of {len(signals)} carry every router feature"
    missing = [r for r in routed for o in r.opinions if o.reasoning.startswith("missing features")]
    assert len(missing) <= len(routed) // 10, missing[:3]  # only a bar short of history may lack one
    verdicts = Counter(r.verdict for r in routed)
    assert verdicts[Verdict.CONFIRM] + verdicts[Verdict.VETO] > 0, verdicts


def test_scan_when_trend_breakout_then_features_are_the_strategys_own(panel: Panel) -> None:
    row = 280
    result = scan_day(head(panel, row), day_of(panel, row), reference_at(panel, row), TrendBreakout())
    latest = TrendBreakout().latest(head(panel, row))
    for s in result.signals:
        i = panel.symbols.index(s.symbol)
        own = {k: float(v[i]) for k, v in latest.features.items() if np.isfinite(v[i])}
        assert s.features == own


class _PriceToEarnings(SymbolicExpert):
    name = "valuation"
    needs = ("pe_ttm", "volume_ratio")

    def assess(self, features: Mapping[str, float]) -> Assessment:
        return Verdict.ABSTAIN, 0.0, "no opinion"

    def assess_batch(self, features: Mapping[str, FloatArray]) -> BatchAssessment:
        n = len(features["pe_ttm"])
        return np.full(n, 2, dtype=np.int8), np.zeros(n)


def test_registry_when_an_expert_reads_an_unknown_feature_then_refused_at_start_with_the_names() -> None:
    config = RouterConfig()
    with pytest.raises(ConfigurationError, match=r"unknown features: valuation reads pe_ttm; the router computes"):
        ExpertRegistry((LiquidityExpert(config.liquidity), _PriceToEarnings()))
    # a strategy that adds the feature serves it: accepted
    registry = ExpertRegistry((LiquidityExpert(config.liquidity), _PriceToEarnings()), features=("pe_ttm",))
    assert registry.names == ("liquidity", "valuation")


def test_default_panel_when_built_then_every_symbolic_expert_declares_router_features() -> None:
    registry = default_registry(RouterConfig(), llm_enabled=False)
    reads = {e.name: e.reads for e in registry if isinstance(e, SymbolicExpert)}
    assert set(reads) == {"trend", "liquidity", "risk_skeptic"}
    assert all(r and r <= set(ROUTER_FEATURES) for r in reads.values()), reads
