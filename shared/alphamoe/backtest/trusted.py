"""Build frozen Pydantic models from values the backtest has already validated, without validating again.

The session loop builds ~100 signals and positions a session for years of sessions; even
`model_construct` costs more there than the sizing it feeds. `trusted` does what `model_construct`
does for a model without aliases, extras or private attributes: defaults once per class, then one dict.
Only for values that came from validated models or exact arrays of the backtest itself.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


@cache
def _defaults(cls: type[BaseModel]) -> dict[str, Any]:
    return {
        name: field.get_default(call_default_factory=True)
        for name, field in cls.model_fields.items()
        if not field.is_required()
    }


_set = object.__setattr__  # bound once: a million models over ten years of sessions


def trusted(cls: type[M], **values: Any) -> M:
    """Return an instance of `cls` holding `values` over its defaults, unvalidated (see the module docstring)."""
    model = cls.__new__(cls)
    defaults = _defaults(cls)
    if defaults and not values.keys() >= defaults.keys():  # given fields first, in the order given (as a dump
        values |= {k: v for k, v in defaults.items() if k not in values}  # shows them), then the defaults left
    _set(model, "__dict__", values)  # `values` is ours
    _set(model, "__pydantic_fields_set__", set(values))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a run's records are built, and restore it after.

    Tens of thousands of new (acyclic) models and dicts set off full collections of the whole heap, which
    cost about a quarter of building a ten-year result; nothing they make needs the collector.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
