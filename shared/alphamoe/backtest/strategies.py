"""Strategy names for the backtest: `--params` JSON parsed, then the strategy package's registry.

Unknown names and mistyped or unknown parameters raise the registry's ConfigurationError, which lists
the valid strategies or parameters.
"""

from __future__ import annotations

import json
from typing import Any

from alphamoe.errors import ConfigurationError
from alphamoe.strategy.base import Strategy
from alphamoe.strategy.registry import DEFAULT_STRATEGY, strategy_by_name

__all__ = ["DEFAULT_STRATEGY", "build_strategy"]


def build_strategy(name: str, params: str | dict[str, Any] | None = None) -> Strategy:
    """Return strategy `name` with `params` (a JSON object, or a dict) over its defaults."""
    if isinstance(params, str):
        text = params.strip()
        if not text:
            return strategy_by_name(name)
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"--params is not a JSON object: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigurationError(f"--params must be a JSON object, was {type(loaded).__name__}")
        params = loaded
    return strategy_by_name(name, params)
