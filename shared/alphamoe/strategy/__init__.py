"""Strategies (DESIGN.md §8): `STRATEGIES` and `strategy_by_name` load lazily, so importing a submodule
(e.g. the kernels) does not import every strategy."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("STRATEGIES", "strategy_by_name", "DEFAULT_STRATEGY"):
        from alphamoe.strategy import registry

        return getattr(registry, name)
    raise AttributeError(f"module 'alphamoe.strategy' has no attribute {name!r}")
