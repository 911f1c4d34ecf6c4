"""Symbolic experts: threshold rules over the scan's features, each reasoning with the numbers it used.

Units are those of router/config.py. An expert missing a feature it needs abstains and names it.
Confidence of a confirm or veto is 0.5 plus half the mean strength of the evidence, each strength
clipped to [0, 1] against the config's "strong" level; the risk skeptic's veto is 0.7 plus 0.1 per
further red flag; an abstention has confidence 0.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar

from alphamoe.events.payloads import ExpertOpinion, SignalGenerated
from alphamoe.router.config import LiquidityThresholds, RiskSkepticThresholds, SentimentThresholds, TrendThresholds
from alphamoe.router.experts import Competence, missing_features
from alphamoe.types import ExpertKind, Verdict

Assessment = tuple[Verdict, float, str]
"""(verdict, confidence, reasoning) of one expert on one signal."""


def _clip01(x: float) -> float:
    return min(1.0, max(0.0, x))


def _strength(*parts: float) -> float:
    # 0.5 for bare evidence, up to 1.0 when every part reaches its strong level
    return 0.5 + 0.5 * sum(_clip01(p) for p in parts) / len(parts)


def _relative(x: float, what: str) -> str:
    return f"{abs(x):.1%} {'above' if x >= 0 else 'below'} {what}"


def _million_cny(x: float) -> str:
    return f"{x / 1e6:,.1f}M CNY"


class SymbolicExpert(ABC):
    """A rule-based expert: deterministic, instant, and always available."""

    name: ClassVar[str]
    needs: ClassVar[tuple[str, ...]]
    kind: ClassVar[ExpertKind] = ExpertKind.SYMBOLIC
    can_veto: ClassVar[bool] = False

    def __init__(self, *, weight: float = 1.0, competence: Competence | None = None) -> None:
        self.weight = weight
        self.competence = competence or Competence()

    def judge(self, signal: SignalGenerated) -> ExpertOpinion:
        missing = missing_features(signal, self.needs)
        if missing:
            verdict, confidence, reasoning = Verdict.ABSTAIN, 0.0, f"missing features: {', '.join(missing)}"
        else:
            verdict, confidence, reasoning = self.assess(signal.features)
        return ExpertOpinion(
            expert=self.name, kind=self.kind, verdict=verdict, confidence=confidence, reasoning=reasoning
        )

    @abstractmethod
    def assess(self, features: Mapping[str, float]) -> Assessment:
        """Judge finite features; every key of `needs` is present."""


class TrendExpert(SymbolicExpert):
    """Is the trend intact? MA5 over MA20, close over MA20, 20-day momentum, breakout margin."""

    name = "trend"
    needs = ("ma5_over_ma20", "close_over_ma20", "ret_20d", "breakout_margin")

    def __init__(self, thresholds: TrendThresholds, *, weight: float = 1.0, competence: Competence | None = None):
        super().__init__(weight=weight, competence=competence)
        self.t = thresholds

    def assess(self, features: Mapping[str, float]) -> Assessment:
        t = self.t
        spread = features["ma5_over_ma20"]
        close_over = features["close_over_ma20"]
        ret_20d = features["ret_20d"]
        breakout = features["breakout_margin"]
        facts = (
            f"MA5 is {_relative(spread, 'MA20')}, close {_relative(close_over, 'MA20')}, "
            f"20-day return {ret_20d:+.1%}, breakout margin {breakout:+.1%}"
        )
        if spread > t.min_ma_spread and ret_20d > t.min_ret_20d and close_over >= t.min_close_over_ma20:
            confidence = _strength(
                spread / t.strong_ma_spread, ret_20d / t.strong_ret_20d, breakout / t.strong_breakout
            )
            return Verdict.CONFIRM, confidence, f"{facts}: trend intact"
        if spread < 0 and ret_20d < 0 and close_over < 0:
            confidence = _strength(-spread / t.strong_ma_spread, -ret_20d / t.strong_ret_20d)
            return Verdict.VETO, confidence, f"{facts}: downtrend"
        return Verdict.ABSTAIN, 0.0, f"{facts}: trend mixed"


class LiquidityExpert(SymbolicExpert):
    """Can the position be entered and left? 20-day turnover in CNY and today's volume ratio."""

    name = "liquidity"
    needs = ("amount_20d", "volume_ratio")

    def __init__(self, thresholds: LiquidityThresholds, *, weight: float = 0.8, competence: Competence | None = None):
        super().__init__(weight=weight, competence=competence)
        self.t = thresholds

    def assess(self, features: Mapping[str, float]) -> Assessment:
        t = self.t
        amount = features["amount_20d"]
        volume_ratio = features["volume_ratio"]
        turnover = f"20-day turnover {_million_cny(amount)}/day"
        volume = f"volume {volume_ratio:.2f}× average"
        if amount < t.min_amount_20d:
            confidence = _strength(1 - amount / t.min_amount_20d)
            return (
                Verdict.VETO,
                confidence,
                f"{turnover} is below the {_million_cny(t.min_amount_20d)} floor: too thin to enter and exit",
            )
        if volume_ratio < t.min_volume_ratio:
            return (
                Verdict.ABSTAIN,
                0.0,
                f"{turnover} is adequate but {volume} is under {t.min_volume_ratio:.2f}×: the move lacks volume",
            )
        confidence = _strength(
            math.log(amount / t.min_amount_20d) / math.log(t.ample_amount_20d / t.min_amount_20d),
            (volume_ratio - t.min_volume_ratio) / (t.strong_volume_ratio - t.min_volume_ratio),
        )
        return Verdict.CONFIRM, confidence, f"{turnover} and {volume}: liquid enough"


class RiskSkepticExpert(SymbolicExpert):
    """Look for reasons not to buy: overheated RSI, a limit-up run, extreme volatility, a big gap.

    Its veto is hard: one red flag stops the signal whatever the others say. With no red flag it
    abstains, since the absence of danger is not a reason to buy.
    """

    name = "risk_skeptic"
    needs = ("rsi_14", "limit_up_count_5d", "volatility_20d", "gap_open")
    can_veto = True

    def __init__(self, thresholds: RiskSkepticThresholds, *, weight: float = 1.0, competence: Competence | None = None):
        super().__init__(weight=weight, competence=competence)
        self.t = thresholds

    def assess(self, features: Mapping[str, float]) -> Assessment:
        t = self.t
        rsi = features["rsi_14"]
        limit_ups = round(features["limit_up_count_5d"])
        volatility = features["volatility_20d"]
        gap = features["gap_open"]
        flags: list[str] = []
        if rsi >= t.max_rsi_14:
            flags.append(f"RSI(14) {rsi:.1f} at or above {t.max_rsi_14:.0f}: overheated")
        if limit_ups > t.max_limit_ups_5d:
            flags.append(f"{limit_ups} limit-ups in 5 sessions: speculative run")
        if volatility >= t.max_volatility_20d:
            flags.append(f"daily volatility {volatility:.1%} at or above {t.max_volatility_20d:.1%}: extreme")
        if abs(gap) >= t.max_abs_gap_open:
            flags.append(f"opening gap {gap:+.1%} beyond ±{t.max_abs_gap_open:.1%}: big gap")
        if flags:
            return Verdict.VETO, min(1.0, 0.7 + 0.1 * (len(flags) - 1)), " and ".join(flags)
        return (
            Verdict.ABSTAIN,
            0.0,
            f"no red flags: RSI(14) {rsi:.1f}, {limit_ups} limit-up{'' if limit_ups == 1 else 's'} in 5 sessions, "
            f"daily volatility {volatility:.1%}, opening gap {gap:+.1%}",
        )


class PriceSentimentExpert(SymbolicExpert):
    """The sentiment expert's symbolic form, used when no news is on file: the crowd's mood in price and volume.

    Heavy volume into a rising week reads as buying interest (confirm); a falling week reads as selling
    (veto); anything else says nothing (abstain).
    """

    name = "sentiment"
    needs = ("volume_ratio", "ret_5d")

    def __init__(self, thresholds: SentimentThresholds, *, weight: float = 0.6, competence: Competence | None = None):
        super().__init__(weight=weight, competence=competence)
        self.t = thresholds

    def assess(self, features: Mapping[str, float]) -> Assessment:
        t = self.t
        volume_ratio = features["volume_ratio"]
        ret_5d = features["ret_5d"]
        facts = f"volume {volume_ratio:.2f}× average, 5-day return {ret_5d:+.1%}"
        if ret_5d <= t.max_drop_5d:
            return Verdict.VETO, _strength(ret_5d / t.max_drop_5d - 1), f"{facts}: the crowd is selling"
        if ret_5d > 0 and volume_ratio >= t.min_volume_ratio:
            strength = (volume_ratio - t.min_volume_ratio) / (t.strong_volume_ratio - t.min_volume_ratio)
            return Verdict.CONFIRM, _strength(strength), f"{facts}: buying interest"
        return Verdict.ABSTAIN, 0.0, f"{facts}: no clear mood"
