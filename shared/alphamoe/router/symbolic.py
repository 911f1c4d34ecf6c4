"""Symbolic experts: threshold rules over the scan's features, each reasoning with the numbers it used.

Units are those of router/config.py; every feature is one the router computes itself (router/features.py),
so the experts judge any strategy's signals. An expert missing a feature it needs abstains and names it.
Confidence of a confirm or veto is 0.5 plus half the mean strength of the evidence, each strength
clipped to [0, 1] against the config's "strong" level; the risk skeptic's veto is 0.7 plus 0.1 per
further red flag; an abstention has confidence 0.

Each expert also judges a batch at once (`assess_batch`: NumPy over arrays of features, the same floats as
`assess` on each row, tested), which the vectorised panel (router/panel.py) runs for a backtest's picks.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from alphamoe.events.payloads import ExpertOpinion, SignalGenerated
from alphamoe.router.config import LiquidityThresholds, RiskSkepticThresholds, SentimentThresholds, TrendThresholds
from alphamoe.router.experts import Competence, missing_features
from alphamoe.types import ExpertKind, Verdict

Assessment = tuple[Verdict, float, str]
"""(verdict, confidence, reasoning) of one expert on one signal."""
FloatArray = npt.NDArray[np.float64]
Codes = npt.NDArray[np.int8]
VERDICT_CODES: tuple[Verdict, ...] = (Verdict.CONFIRM, Verdict.VETO, Verdict.ABSTAIN)
"""A batch's verdicts are codes: the index in this tuple (backtest.picks.VERDICTS is the same order)."""
CONFIRM, VETO, ABSTAIN = range(3)
BatchAssessment = tuple[Codes, FloatArray]
"""(verdict codes, confidences) of one expert on a batch of signals."""


def _clip01(x: float) -> float:
    return min(1.0, max(0.0, x))


def _strength(*parts: float) -> float:
    # 0.5 for bare evidence, up to 1.0 when every part reaches its strong level
    return 0.5 + 0.5 * sum(_clip01(p) for p in parts) / len(parts)


def _relative(x: float, what: str) -> str:
    return f"{abs(x):.1%} {'above' if x >= 0 else 'below'} {what}"


def _million_cny(x: float) -> str:
    return f"{x / 1e6:,.1f}M CNY"


def _strength_batch(*parts: FloatArray) -> FloatArray:
    # `_strength` elementwise, in the same order of operations (a left-to-right sum), so the same floats
    total = np.clip(parts[0], 0.0, 1.0)
    for part in parts[1:]:
        total = total + np.clip(part, 0.0, 1.0)
    out: FloatArray = 0.5 + 0.5 * total / len(parts)
    return out


def _ruling(n: int, *cases: tuple[npt.NDArray[np.bool_], int, FloatArray | float]) -> BatchAssessment:
    # the first case that holds wins, as an if/elif chain; none: abstain, 0
    verdict = np.full(n, ABSTAIN, dtype=np.int8)
    confidence = np.zeros(n)
    left = np.ones(n, dtype=bool)
    for holds, code, value in cases:
        hit = left & holds
        verdict[hit] = code
        confidence[hit] = value[hit] if isinstance(value, np.ndarray) else value
        left &= ~hit
    return verdict, confidence


class SymbolicExpert(ABC):
    """A rule-based expert: deterministic, instant, and always available."""

    name: ClassVar[str]
    needs: ClassVar[tuple[str, ...]]
    kind: ClassVar[ExpertKind] = ExpertKind.SYMBOLIC
    can_veto: ClassVar[bool] = False

    def __init__(self, *, weight: float = 1.0, competence: Competence | None = None) -> None:
        self.weight = weight
        self.competence = competence or Competence()

    @property
    def reads(self) -> frozenset[str]:
        """The features this expert reads (router.experts.Reading): checked against what the router computes."""
        return frozenset(self.needs)

    def judge(self, signal: SignalGenerated) -> ExpertOpinion:
        return self.opinion(signal.features)

    def opinion(self, features: Mapping[str, float]) -> ExpertOpinion:
        """`judge` on a signal's features alone (all a symbolic expert reads)."""
        missing = missing_features(features, self.needs)
        if missing:
            verdict, confidence, reasoning = Verdict.ABSTAIN, 0.0, f"missing features: {', '.join(missing)}"
        else:
            verdict, confidence, reasoning = self.assess(features)
        return ExpertOpinion(
            expert=self.name, kind=self.kind, verdict=verdict, confidence=confidence, reasoning=reasoning
        )

    @abstractmethod
    def assess(self, features: Mapping[str, float]) -> Assessment:
        """Judge finite features; every key of `needs` is present."""

    @abstractmethod
    def assess_batch(self, features: Mapping[str, FloatArray]) -> BatchAssessment:
        """`assess` of every row at once (finite features, every key of `needs`): the same codes and floats."""


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

    def assess_batch(self, features: Mapping[str, FloatArray]) -> BatchAssessment:
        t = self.t
        spread, close_over = features["ma5_over_ma20"], features["close_over_ma20"]
        ret_20d, breakout = features["ret_20d"], features["breakout_margin"]
        intact = (spread > t.min_ma_spread) & (ret_20d > t.min_ret_20d) & (close_over >= t.min_close_over_ma20)
        confirm = _strength_batch(spread / t.strong_ma_spread, ret_20d / t.strong_ret_20d, breakout / t.strong_breakout)
        down = (spread < 0) & (ret_20d < 0) & (close_over < 0)
        veto = _strength_batch(-spread / t.strong_ma_spread, -ret_20d / t.strong_ret_20d)
        return _ruling(len(spread), (intact, CONFIRM, confirm), (down, VETO, veto))


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

    def assess_batch(self, features: Mapping[str, FloatArray]) -> BatchAssessment:
        t = self.t
        amount, volume_ratio = features["amount_20d"], features["volume_ratio"]
        thin = amount < t.min_amount_20d
        quiet = volume_ratio < t.min_volume_ratio
        liquid = ~thin & ~quiet
        # math.log, not np.log: NumPy's vectorised log may differ from the C library's in the last bit
        depth = np.zeros(len(amount))
        depth[liquid] = [math.log(x) for x in (amount[liquid] / t.min_amount_20d).tolist()]
        confirm = _strength_batch(
            depth / math.log(t.ample_amount_20d / t.min_amount_20d),
            (volume_ratio - t.min_volume_ratio) / (t.strong_volume_ratio - t.min_volume_ratio),
        )
        veto = _strength_batch(1 - amount / t.min_amount_20d)
        return _ruling(len(amount), (thin, VETO, veto), (quiet, ABSTAIN, 0.0), (liquid, CONFIRM, confirm))


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

    def assess_batch(self, features: Mapping[str, FloatArray]) -> BatchAssessment:
        t = self.t
        flags = (
            (features["rsi_14"] >= t.max_rsi_14).astype(np.int64)
            + (np.round(features["limit_up_count_5d"]) > t.max_limit_ups_5d)  # round half to even, as round()
            + (features["volatility_20d"] >= t.max_volatility_20d)
            + (np.abs(features["gap_open"]) >= t.max_abs_gap_open)
        )
        by_flags = np.array([0.0, *(min(1.0, 0.7 + 0.1 * (n - 1)) for n in range(1, 5))])
        return _ruling(len(flags), (flags > 0, VETO, by_flags[flags]))


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

    def assess_batch(self, features: Mapping[str, FloatArray]) -> BatchAssessment:
        t = self.t
        volume_ratio, ret_5d = features["volume_ratio"], features["ret_5d"]
        selling = ret_5d <= t.max_drop_5d
        buying = (ret_5d > 0) & (volume_ratio >= t.min_volume_ratio)
        veto = _strength_batch(ret_5d / t.max_drop_5d - 1)
        confirm = _strength_batch((volume_ratio - t.min_volume_ratio) / (t.strong_volume_ratio - t.min_volume_ratio))
        return _ruling(len(ret_5d), (selling, VETO, veto), (buying, CONFIRM, confirm))
