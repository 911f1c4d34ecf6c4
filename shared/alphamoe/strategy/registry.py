"""Strategies by name: the one lookup the CLI, the scan function and the backtest share."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from alphamoe.errors import ConfigurationError
from alphamoe.strategy.base import Strategy, invalid_params
from alphamoe.strategy.composite import FactorStrategy, MeanReversion, MomentumComposite
from alphamoe.strategy.trend_breakout import TrendBreakout

DEFAULT_STRATEGY = TrendBreakout.name
STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (TrendBreakout, MomentumComposite, MeanReversion, FactorStrategy)
}


def strategy_by_name(name: str, params: dict[str, Any] | None = None) -> Strategy:
    """Return strategy `name` with `params` over its defaults.

    Unknown names, unknown or mistyped parameters and unknown factor names raise a ConfigurationError that
    lists what is valid. `factor` is the bare configurable strategy: it needs `score` and `entry`.
    """
    cls = STRATEGIES.get(name)
    if cls is None:
        raise ConfigurationError(f"unknown strategy {name!r}; valid strategies: {', '.join(sorted(STRATEGIES))}")
    if params is not None and not isinstance(params, dict):
        raise ConfigurationError(f"parameters of {name} must be a mapping, were {type(params).__name__}")
    try:
        return cls(cls.Params.model_validate(params or {}))
    except ValidationError as exc:
        raise invalid_params(f"strategy {name}", cls.Params, exc) from None
