from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from alphamoe.events.payloads import SignalGenerated
from alphamoe.router.config import LiquidityThresholds, RiskSkepticThresholds, RouterConfig, TrendThresholds
from alphamoe.router.symbolic import LiquidityExpert, RiskSkepticExpert, SymbolicExpert, TrendExpert
from alphamoe.types import ExpertKind, Verdict

MakeSignal = Callable[..., SignalGenerated]
TREND = TrendExpert(TrendThresholds())
LIQUIDITY = LiquidityExpert(LiquidityThresholds())
RISK = RiskSkepticExpert(RiskSkepticThresholds())
ALL = (TREND, LIQUIDITY, RISK)


def test_trend_when_ma5_above_ma20_and_momentum_positive_then_confirms_with_numbers(make_signal: MakeSignal) -> None:
    opinion = TREND.judge(make_signal())

    assert opinion.verdict is Verdict.CONFIRM
    assert opinion.expert == "trend"
    assert opinion.kind is ExpertKind.SYMBOLIC
    assert "MA5 is 3.1% above MA20" in opinion.reasoning
    assert "20-day return +12.4%" in opinion.reasoning
    assert "breakout margin +1.2%" in opinion.reasoning
    assert opinion.reasoning.endswith("trend intact")
    # 0.5 + 0.5 × mean(0.031/0.05, 0.124/0.20, 0.012/0.03)
    assert opinion.confidence == pytest.approx(0.5 + 0.5 * (0.62 + 0.62 + 0.4) / 3)


def test_trend_when_strong_beyond_thresholds_then_confidence_capped_at_one(make_signal: MakeSignal) -> None:
    opinion = TREND.judge(make_signal(ma5_over_ma20=0.4, ret_20d=0.9, breakout_margin=0.3, close_over_ma20=0.5))

    assert opinion.verdict is Verdict.CONFIRM
    assert opinion.confidence == 1.0


def test_trend_when_below_ma20_and_falling_then_vetoes(make_signal: MakeSignal) -> None:
    opinion = TREND.judge(make_signal(ma5_over_ma20=-0.03, close_over_ma20=-0.05, ret_20d=-0.08))

    assert opinion.verdict is Verdict.VETO
    assert "MA5 is 3.0% below MA20" in opinion.reasoning
    assert "downtrend" in opinion.reasoning
    assert 0.5 < opinion.confidence <= 1.0


def test_trend_when_ma_up_but_month_down_then_abstains_as_mixed(make_signal: MakeSignal) -> None:
    opinion = TREND.judge(make_signal(ma5_over_ma20=0.01, ret_20d=-0.03))

    assert opinion.verdict is Verdict.ABSTAIN
    assert opinion.reasoning.endswith("trend mixed")


def test_trend_when_thresholds_raised_then_same_signal_no_longer_confirms(make_signal: MakeSignal) -> None:
    strict = TrendExpert(TrendThresholds(min_ma_spread=0.05))

    assert strict.judge(make_signal()).verdict is Verdict.ABSTAIN


def test_liquidity_when_turnover_ample_and_volume_up_then_confirms(make_signal: MakeSignal) -> None:
    opinion = LIQUIDITY.judge(make_signal())

    assert opinion.verdict is Verdict.CONFIRM
    assert "20-day turnover 350.0M CNY/day" in opinion.reasoning
    assert "volume 1.60× average" in opinion.reasoning


def test_liquidity_when_turnover_below_floor_then_vetoes_as_too_thin(make_signal: MakeSignal) -> None:
    opinion = LIQUIDITY.judge(make_signal(amount_20d=8_000_000.0))

    assert opinion.verdict is Verdict.VETO
    assert "8.0M CNY/day is below the 20.0M CNY floor" in opinion.reasoning
    assert opinion.confidence == pytest.approx(0.5 + 0.5 * 0.6)


def test_liquidity_when_volume_ratio_low_then_abstains(make_signal: MakeSignal) -> None:
    opinion = LIQUIDITY.judge(make_signal(volume_ratio=0.5))

    assert opinion.verdict is Verdict.ABSTAIN
    assert "volume 0.50× average is under 0.80×" in opinion.reasoning


@pytest.mark.parametrize(
    ("features", "flag"),
    [
        ({"rsi_14": 86.0}, "RSI(14) 86.0 at or above 80: overheated"),
        ({"limit_up_count_5d": 2.0}, "2 limit-ups in 5 sessions: speculative run"),
        ({"volatility_20d": 0.075}, "daily volatility 7.5% at or above 6.0%: extreme"),
        ({"gap_open": -0.07}, "opening gap -7.0% beyond ±5.0%: big gap"),
    ],
)
def test_risk_skeptic_when_one_red_flag_then_vetoes_naming_it(
    make_signal: MakeSignal, features: dict[str, float], flag: str
) -> None:
    opinion = RISK.judge(make_signal(**features))

    assert opinion.verdict is Verdict.VETO
    assert opinion.reasoning == flag
    assert opinion.confidence == pytest.approx(0.7)


def test_risk_skeptic_when_several_red_flags_then_vetoes_more_surely(make_signal: MakeSignal) -> None:
    opinion = RISK.judge(make_signal(rsi_14=90.0, limit_up_count_5d=3.0, gap_open=0.09))

    assert opinion.verdict is Verdict.VETO
    assert opinion.confidence == pytest.approx(0.9)
    assert opinion.reasoning.count(" and ") == 2


def test_risk_skeptic_when_no_red_flag_then_abstains_listing_what_it_checked(make_signal: MakeSignal) -> None:
    opinion = RISK.judge(make_signal())

    assert opinion.verdict is Verdict.ABSTAIN
    assert opinion.reasoning == (
        "no red flags: RSI(14) 66.0, 0 limit-ups in 5 sessions, daily volatility 2.1%, opening gap +0.4%"
    )


def test_risk_skeptic_when_one_limit_up_then_no_flag(make_signal: MakeSignal) -> None:
    opinion = RISK.judge(make_signal(limit_up_count_5d=1.0))

    assert opinion.verdict is Verdict.ABSTAIN
    assert "1 limit-up in 5 sessions" in opinion.reasoning


@pytest.mark.parametrize("expert", ALL, ids=lambda e: e.name)
def test_expert_when_a_needed_feature_missing_then_abstains_naming_it(
    make_signal: MakeSignal, expert: SymbolicExpert
) -> None:
    missing = expert.needs[-1]

    opinion = expert.judge(make_signal(drop=(missing,)))

    assert opinion.verdict is Verdict.ABSTAIN
    assert opinion.confidence == 0.0
    assert opinion.reasoning == f"missing features: {missing}"


@pytest.mark.parametrize("expert", ALL, ids=lambda e: e.name)
def test_expert_when_feature_not_finite_then_treats_it_as_missing(
    make_signal: MakeSignal, expert: SymbolicExpert
) -> None:
    first = expert.needs[0]

    opinion = expert.judge(make_signal(**{first: math.nan}))

    assert opinion.verdict is Verdict.ABSTAIN
    assert first in opinion.reasoning


def test_expert_when_features_it_does_not_need_missing_then_still_judges(make_signal: MakeSignal) -> None:
    opinion = TREND.judge(make_signal(drop=("rsi_14", "amount_20d", "gap_open")))

    assert opinion.verdict is Verdict.CONFIRM


def test_symbolic_experts_when_built_then_only_risk_skeptic_can_veto() -> None:
    assert [e.name for e in ALL if e.can_veto] == ["risk_skeptic"]


def test_liquidity_config_when_ample_not_above_floor_then_rejected_naming_keys() -> None:
    with pytest.raises(ValueError, match="ample_amount_20d"):
        LiquidityThresholds(min_amount_20d=5e7, ample_amount_20d=1e7)


def test_router_config_when_unknown_key_then_rejected() -> None:
    with pytest.raises(ValueError, match="top_kk"):
        RouterConfig(top_kk=2)  # type: ignore[call-arg]
