"""FactorStrategy: a strategy assembled from the factor library by configuration alone.

    score    = Σ weight_k · z_t(factor_k)      z: the factor standardised across the stocks of row t
    entry_t  = traded ∧ every entry condition holds on row t
    exit_t   = while the strategy's own position is open, on a traded row: any exit condition holds, or
               `max_holding_days` sessions have passed since the entry signal
The cross-sectional z-score reads row t alone (other stocks' values of the same day), so it stays point in
time; a NaN factor gives a NaN score and fails every condition. Features are the factor values, keyed by
term label (`momentum_20`, `ma_trend_5_20`, …).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from alphamoe.market.bars import BoolArray, FloatArray, Panel
from alphamoe.strategy.base import Strategy, StrategyParams, StrategySignals
from alphamoe.strategy.factors import FactorInputs, compute_factor, factor_params

Op = Literal[">", ">=", "<", "<="]


class FactorRef(BaseModel):
    """A factor of the library with its parameters; checked against the library when built."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    factor: str
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known(self) -> FactorRef:
        factor_params(self.factor, self.params)  # raises ConfigurationError listing the valid ones
        return self

    @property
    def label(self) -> str:
        values = factor_params(self.factor, self.params).model_dump()
        return "_".join([self.factor, *(str(v) for v in values.values())])


class FactorTerm(FactorRef):
    weight: float = 1.0


class Condition(FactorRef):
    op: Op
    threshold: float


class FactorStrategyParams(StrategyParams):
    """A strategy by configuration: score terms, entry conditions (all), exit conditions (any)."""

    score: tuple[FactorTerm, ...] = Field(min_length=1)
    entry: tuple[Condition, ...] = Field(min_length=1)
    exit: tuple[Condition, ...] = ()
    max_holding_days: int = Field(10, ge=1, description="exit this many sessions after the entry signal")


def _holds(values: FloatArray, op: Op, threshold: float) -> BoolArray:
    with np.errstate(invalid="ignore"):
        if op == ">":
            return values > threshold
        if op == ">=":
            return values >= threshold
        if op == "<":
            return values < threshold
        return values <= threshold


def _zscore(values: FloatArray) -> FloatArray:
    # across the stocks of each row; a row with < 2 values or no spread gives NaN
    with np.errstate(invalid="ignore", divide="ignore"):
        count = np.sum(np.isfinite(values), axis=1, keepdims=True)
        mean = np.nansum(values, axis=1, keepdims=True) / count
        spread = np.sqrt(np.nansum((values - mean) ** 2, axis=1, keepdims=True) / (count - 1))
        out: FloatArray = np.where((count >= 2) & (spread > 0), (values - mean) / spread, np.nan)
    return out


class FactorStrategy(Strategy):
    """Entries, exits and score from configured factors (module docstring); subclasses preset the config."""

    name: ClassVar[str] = "factor"
    Params: ClassVar[type[StrategyParams]] = FactorStrategyParams
    params: FactorStrategyParams

    def signals(self, panel: Panel) -> StrategySignals:
        from alphamoe.strategy.kernels import position_exits_kernel

        p = self.params
        inputs = FactorInputs(panel)
        values: dict[str, FloatArray] = {}

        def value(ref: FactorRef) -> FloatArray:
            if ref.label not in values:
                values[ref.label] = compute_factor(inputs, ref.factor, factor_params(ref.factor, ref.params))
            return values[ref.label]

        traded = panel.traded
        entries = traded.copy()
        for condition in p.entry:
            entries &= _holds(value(condition), condition.op, condition.threshold)
        exit_rule = np.zeros_like(traded)
        for condition in p.exit:
            exit_rule |= _holds(value(condition), condition.op, condition.threshold)
        score = np.zeros(traded.shape)
        for term in p.score:
            score = score + term.weight * _zscore(value(term))
        exits = np.asarray(
            position_exits_kernel(
                np.asfortranarray(entries), np.asfortranarray(exit_rule), np.asfortranarray(traded), p.max_holding_days
            )
        )
        return StrategySignals(
            entries=np.ascontiguousarray(entries & ~exits),
            exits=np.ascontiguousarray(exits),
            score=np.where(traded, score, np.nan),
            features=values,
        )


def _c(factor: str, op: Op, threshold: float, **params: Any) -> Condition:
    return Condition(factor=factor, params=params, op=op, threshold=threshold)


def _t(factor: str, weight: float, **params: Any) -> FactorTerm:
    return FactorTerm(factor=factor, params=params, weight=weight)


class MomentumCompositeParams(FactorStrategyParams):
    """Defaults: 20-day momentum in an MA5 > MA20 trend, liquid, not overheated; ranked by a blend."""

    score: tuple[FactorTerm, ...] = (
        _t("momentum", 1.0, window=20),
        _t("ma_trend", 0.5, fast=5, slow=20),
        _t("volume_surge", 0.5, window=20),
        _t("volatility", -0.5, window=20),
    )
    entry: tuple[Condition, ...] = (
        _c("momentum", ">", 0.05, window=20),
        _c("ma_trend", ">", 0.0, fast=5, slow=20),
        _c("turnover", ">=", 20_000_000.0, window=20),
        _c("rsi", "<", 80.0, window=14),
        _c("limit_up_count", "<", 2.0, window=5),
    )
    exit: tuple[Condition, ...] = (
        _c("ma_trend", "<", 0.0, fast=5, slow=20),
        _c("momentum", "<", 0.0, window=20),
    )
    max_holding_days: int = 20


class MomentumComposite(FactorStrategy):
    """Momentum composite: trend-following by configuration (MomentumCompositeParams)."""

    name: ClassVar[str] = "momentum_composite"
    Params: ClassVar[type[StrategyParams]] = MomentumCompositeParams


class MeanReversionParams(FactorStrategyParams):
    """Defaults: buy an oversold (RSI < 30) liquid stock still above its 60-day average, no gap down."""

    score: tuple[FactorTerm, ...] = (_t("rsi", -1.0, window=14), _t("close_to_ma", -0.5, window=20))
    entry: tuple[Condition, ...] = (
        _c("rsi", "<", 30.0, window=14),
        _c("ma_trend", ">", 0.0, fast=20, slow=60),
        _c("turnover", ">=", 20_000_000.0, window=20),
        _c("gap", ">", -0.05),
    )
    exit: tuple[Condition, ...] = (_c("rsi", ">", 55.0, window=14),)
    max_holding_days: int = 10


class MeanReversion(FactorStrategy):
    """Mean reversion: oversold pullbacks in an uptrend, by configuration (MeanReversionParams)."""

    name: ClassVar[str] = "mean_reversion"
    Params: ClassVar[type[StrategyParams]] = MeanReversionParams
