"""The vectorised symbolic panel gives the live router's verdict, confidence and summary on every signal."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphamoe.events.payloads import SignalGenerated
from alphamoe.router.config import GateWeights, LiquidityThresholds, RiskSkepticThresholds, RouterConfig
from alphamoe.router.defaults import default_registry
from alphamoe.router.experts import Competence, ExpertRegistry
from alphamoe.router.features import ROUTER_FEATURES
from alphamoe.router.graph import Router
from alphamoe.router.panel import SymbolicPanel
from alphamoe.router.symbolic import (
    VERDICT_CODES,
    LiquidityExpert,
    PriceSentimentExpert,
    RiskSkepticExpert,
    TrendExpert,
)
from alphamoe.types import Board

DAY = date(2024, 5, 6)
# values around every threshold of router/config.py's defaults, so each branch of each expert is taken
GRID: dict[str, list[float]] = {
    "ret_1d": [-0.02, 0.01],
    "ret_5d": [-0.2, -0.05, -0.0499, 0.0, 0.03, 0.2],
    "ret_20d": [-0.3, -0.01, 0.0, 0.05, 0.2, 0.6],
    "ma5_over_ma20": [-0.04, -1e-9, 0.0, 0.01, 0.05, 0.12],
    "close_over_ma20": [-0.05, -1e-9, 0.0, 0.04],
    "breakout_margin": [-0.01, 0.0, 0.012, 0.03, 0.09],
    "volume_ratio": [0.0, 0.5, 0.8, 1.2, 1.5, 2.0, 3.0, 6.0],
    "amount_20d": [0.0, 5e6, 2e7, 2.0000001e7, 1.5e8, 2e8, 5e9],
    "volatility_20d": [0.005, 0.03, 0.06, 0.09],
    "rsi_14": [20.0, 50.0, 79.99, 80.0, 95.0],
    "limit_up_count_5d": [0.0, 1.0, 1.5, 2.0, 2.5, 4.0],
    "gap_open": [-0.08, -0.05, 0.0, 0.049, 0.05, 0.1],
}
BOARDS = [Board.MAIN, Board.CHINEXT, Board.STAR, Board.BSE]
STRATEGIES = ["trend_breakout", "momentum_composite", "mean_reversion"]


def signal(k: int, features: dict[str, float], board: Board, strategy: str) -> SignalGenerated:
    symbol = f"{600000 + k:06d}.SH" if board is Board.MAIN else f"{830000 + k:06d}.BJ"
    return SignalGenerated(
        trading_day=DAY,
        signal_id=f"{DAY}:{strategy}:{k:06d}:{symbol}",
        symbol=symbol,
        board=board,
        strategy=strategy,
        rank=k,
        score=1.0,
        reference_price=Decimal("10.00"),
        prev_close=Decimal("9.90"),
        p_win=0.55,
        payoff=1.5,
        n_trades=30,
        features={key: v for key, v in features.items() if math.isfinite(v)},
    )


def assert_same_as_router(router: Router, signals: list[SignalGenerated]) -> None:
    """Route `signals` both ways and compare verdict, confidence (exact floats) and summary, signal by signal."""
    features = {key: np.array([s.features.get(key, np.nan) for s in signals]) for key in ROUTER_FEATURES}
    panel = SymbolicPanel(router.registry, router.config)
    batch = panel.route(features, [s.strategy for s in signals], [s.board.value for s in signals])
    live = {r.signal.signal_id: r for r in router.route_batch(signals)}
    for k, s in enumerate(signals):
        expected = live[s.signal_id]
        got = (VERDICT_CODES[batch.verdict[k]], float(batch.confidence[k]), batch.summaries[k])
        assert got == (expected.verdict, expected.confidence, expected.reasoning_summary), s.features


def grid_signals(rng: np.random.Generator, n: int, missing: float = 0.05) -> list[SignalGenerated]:
    out = []
    for k in range(n):
        features = {key: float(rng.choice(values)) for key, values in GRID.items()}
        features = {key: (math.nan if rng.random() < missing else v) for key, v in features.items()}
        out.append(signal(k, features, BOARDS[int(rng.integers(len(BOARDS)))], str(rng.choice(STRATEGIES))))
    return out


def continuous_signals(rng: np.random.Generator, n: int) -> list[SignalGenerated]:
    out = []
    for k in range(n):
        features = {
            "ret_1d": rng.uniform(-0.1, 0.1),
            "ret_5d": rng.uniform(-0.15, 0.25),
            "ret_20d": rng.uniform(-0.3, 0.6),
            "ma5_over_ma20": rng.normal(0.01, 0.03),
            "close_over_ma20": rng.normal(0.02, 0.04),
            "breakout_margin": rng.uniform(-0.02, 0.08),
            "volume_ratio": rng.lognormal(0.2, 0.6),
            "amount_20d": rng.lognormal(18.5, 1.5),
            "volatility_20d": rng.uniform(0.005, 0.09),
            "rsi_14": rng.uniform(10, 99),
            "limit_up_count_5d": float(rng.integers(0, 4)),
            "gap_open": rng.normal(0.0, 0.03),
        }
        out.append(signal(k, features, BOARDS[int(rng.integers(len(BOARDS)))], str(rng.choice(STRATEGIES))))
    return out


CONFIGS = {
    "default": RouterConfig(),
    "top_2": RouterConfig(top_k=2),
    "top_1": RouterConfig(top_k=1),
    "strict": RouterConfig(confirm_threshold=0.9),
    "loose": RouterConfig(confirm_threshold=0.3),
    "switched_off": RouterConfig(
        weights=GateWeights(by_strategy={"mean_reversion": {"trend": 0.0}, "momentum_composite": {"liquidity": 2.5}})
    ),
    "thresholds": RouterConfig(
        liquidity=LiquidityThresholds(min_amount_20d=1e8, ample_amount_20d=1e9),
        risk_skeptic=RiskSkepticThresholds(max_rsi_14=70.0, max_limit_ups_5d=0),
    ),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_panel_when_grid_signals_then_same_verdicts_confidences_and_summaries_as_live_router(name: str) -> None:
    config = CONFIGS[name]
    router = Router(default_registry(config, llm_enabled=False), config)
    rng = np.random.default_rng(sorted(CONFIGS).index(name))
    assert_same_as_router(router, grid_signals(rng, 600))
    assert_same_as_router(router, continuous_signals(rng, 600))


def test_panel_when_four_symbolic_experts_with_competences_then_same_as_live_router() -> None:
    # a fourth symbolic expert (sentiment's symbolic form) makes three-way confirm sums (fsum), a
    # strategy-specific expert and a board-specific one make groups with different gates
    config = RouterConfig(top_k=4, confirm_threshold=0.5)
    registry = ExpertRegistry(
        (
            TrendExpert(config.trend, competence=Competence(strategies=frozenset({"trend_breakout"}))),
            LiquidityExpert(config.liquidity),
            RiskSkepticExpert(config.risk_skeptic, competence=Competence(boards=frozenset({"main", "bse"}))),
            PriceSentimentExpert(config.sentiment, weight=0.7),
        )
    )
    router = Router(registry, config)
    rng = np.random.default_rng(11)
    assert_same_as_router(router, grid_signals(rng, 800, missing=0.1))
    assert_same_as_router(router, continuous_signals(rng, 800))


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e3, max_value=1e3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(ROUTER_FEATURES), finite | st.floats(0, 1e10) | st.just(math.nan)),
            st.sampled_from(BOARDS),
            st.sampled_from(STRATEGIES),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_panel_when_arbitrary_features_then_same_as_live_router(
    rows: list[tuple[dict[str, float], Board, str]],
) -> None:
    router = Router(default_registry(RouterConfig(), llm_enabled=False))
    assert_same_as_router(router, [signal(k, f, board, strategy) for k, (f, board, strategy) in enumerate(rows)])


def test_panel_when_an_expert_is_not_symbolic_then_refused() -> None:
    registry = default_registry(RouterConfig(), llm_enabled=False)
    assert SymbolicPanel.supports(registry)  # the LLM slots are unavailable, so they never judge
    from alphamoe.router.llm import llm_expert_slots

    slots = llm_expert_slots()
    with pytest.raises(ValueError, match="symbolic experts only"):
        SymbolicPanel(ExpertRegistry(slots), RouterConfig())
