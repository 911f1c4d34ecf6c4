"""The factor library: named, typed, point-in-time T×N factors that strategies compose by configuration.

Every factor is a vectorised function of a panel: row t uses bars of rows ≤ t only (trailing windows,
`indicators`), prices are adjusted (`Panel.adjustment_factor`), volume split-adjusted, amount raw, and a
row where the stock has no bar is NaN. Each factor declares its parameters as a frozen Pydantic model, so
`{"factor": "momentum", "params": {"window": "x"}}` fails with the field and the expected type.

  momentum        close_t / close_{t−window} − 1
  ma_trend        MA_fast / MA_slow − 1
  close_to_ma     close / MA_window − 1
  breakout        close / max(high of the prior `window` sessions) − 1 (today's high excluded)
  rsi             simple-average RSI over `window` changes, 0…100
  volume_surge    volume / average volume of the prior `window` sessions
  volatility      sample std of daily returns over `window` sessions
  turnover        average amount over `window` sessions, CNY
  gap             open / prev_close − 1 (raw: the exchange's ex-rights previous close)
  limit_up_count  closes at the limit-up price in the last `window` sessions (gap/limit behaviour)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alphamoe.errors import ConfigurationError
from alphamoe.market.bars import FloatArray, Panel
from alphamoe.strategy.base import invalid_params
from alphamoe.strategy.indicators import (
    lag,
    limit_up_hits,
    pct_change,
    rolling_max,
    rolling_mean,
    rolling_std,
    rolling_sum,
    rsi,
)


class FactorParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WindowParams(FactorParams):
    window: int = Field(20, ge=2, description="sessions")


class RsiParams(FactorParams):
    window: int = Field(14, ge=2, description="changes averaged")


class TrendParams(FactorParams):
    fast: int = Field(5, ge=1, description="fast moving average, sessions")
    slow: int = Field(20, ge=2, description="slow moving average, sessions")


class GapParams(FactorParams):
    pass


class LimitParams(FactorParams):
    window: int = Field(5, ge=1, description="sessions counted")


@dataclass
class FactorInputs:
    """A panel's adjusted series, computed once and shared by every factor of a strategy."""

    panel: Panel
    _cache: dict[tuple[str, int], FloatArray] = field(default_factory=dict)

    @cached_property
    def factor(self) -> FloatArray:
        return self.panel.adjustment_factor()

    @cached_property
    def close(self) -> FloatArray:
        out: FloatArray = self.panel.close * self.factor
        return out

    @cached_property
    def high(self) -> FloatArray:
        out: FloatArray = self.panel.high * self.factor
        return out

    @cached_property
    def volume(self) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            out: FloatArray = self.panel.volume / self.factor
        return out

    def ma(self, window: int) -> FloatArray:
        key = ("ma", window)
        if key not in self._cache:
            self._cache[key] = rolling_mean(self.close, window)
        return self._cache[key]


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(denominator > 0, numerator / denominator, np.nan)
    return out


def momentum(x: FactorInputs, p: WindowParams) -> FloatArray:
    return pct_change(x.close, p.window)


def ma_trend(x: FactorInputs, p: TrendParams) -> FloatArray:
    return _ratio(x.ma(p.fast), x.ma(p.slow)) - 1.0


def close_to_ma(x: FactorInputs, p: WindowParams) -> FloatArray:
    return _ratio(x.close, x.ma(p.window)) - 1.0


def breakout(x: FactorInputs, p: WindowParams) -> FloatArray:
    return _ratio(x.close, lag(rolling_max(x.high, p.window))) - 1.0


def rsi_factor(x: FactorInputs, p: RsiParams) -> FloatArray:
    return rsi(x.close, p.window)


def volume_surge(x: FactorInputs, p: WindowParams) -> FloatArray:
    return _ratio(x.volume, lag(rolling_mean(x.volume, p.window)))


def volatility(x: FactorInputs, p: WindowParams) -> FloatArray:
    return rolling_std(pct_change(x.close, 1), p.window)


def turnover(x: FactorInputs, p: WindowParams) -> FloatArray:
    return rolling_mean(x.panel.amount, p.window)


def gap(x: FactorInputs, p: GapParams) -> FloatArray:
    return _ratio(x.panel.open, x.panel.prev_close) - 1.0


def limit_up_count(x: FactorInputs, p: LimitParams) -> FloatArray:
    hits = limit_up_hits(x.panel).astype(np.float64)
    return rolling_sum(hits, p.window)


@dataclass(frozen=True)
class FactorSpec:
    """A library entry: the parameter model and the function."""

    name: str
    params: type[FactorParams]
    compute: Callable[[FactorInputs, Any], FloatArray]
    doc: str


FACTORS: dict[str, FactorSpec] = {
    spec.name: spec
    for spec in (
        FactorSpec("momentum", WindowParams, momentum, "close / close `window` sessions ago − 1"),
        FactorSpec("ma_trend", TrendParams, ma_trend, "MA fast / MA slow − 1"),
        FactorSpec("close_to_ma", WindowParams, close_to_ma, "close / MA − 1"),
        FactorSpec("breakout", WindowParams, breakout, "close / prior `window`-session high − 1"),
        FactorSpec("rsi", RsiParams, rsi_factor, "simple-average RSI, 0…100"),
        FactorSpec("volume_surge", WindowParams, volume_surge, "volume / prior average volume"),
        FactorSpec("volatility", WindowParams, volatility, "std of daily returns"),
        FactorSpec("turnover", WindowParams, turnover, "average amount, CNY"),
        FactorSpec("gap", GapParams, gap, "open / prev_close − 1"),
        FactorSpec("limit_up_count", LimitParams, limit_up_count, "closes at limit-up in the window"),
    )
}


def factor_spec(name: str) -> FactorSpec:
    """Return the library entry `name`, or a ConfigurationError listing every factor."""
    spec = FACTORS.get(name)
    if spec is None:
        valid = ", ".join(f"{n} ({s.doc})" for n, s in sorted(FACTORS.items()))
        raise ConfigurationError(f"unknown factor {name!r}; valid factors: {valid}")
    return spec


def factor_params(name: str, params: dict[str, Any]) -> FactorParams:
    """Validate `params` of factor `name`; a wrong name or type raises a ConfigurationError naming the valid ones."""
    spec = factor_spec(name)
    try:
        return spec.params.model_validate(params)
    except ValidationError as exc:
        raise invalid_params(f"factor {name}", spec.params, exc) from None


def compute_factor(inputs: FactorInputs, name: str, params: FactorParams) -> FloatArray:
    """Return factor `name` over the panel, NaN where the stock has no bar."""
    values = factor_spec(name).compute(inputs, params)
    out: FloatArray = np.where(inputs.panel.traded, values, np.nan)
    return out
