"""The Strategy contract (DESIGN.md §8, 研产同构): one vectorised `signals(panel)` for scan and backtests.

The same instance runs in the day's scan (its last row), in the VectorBT bulk backtest (every row) and,
wrapped, in Backtrader; so a strategy must be a pure function of the panel it is given:
- row t of every output uses bars of rows ≤ t only (no look-ahead);
- factors run on adjusted prices (`panel.adjusted(panel.close)`), limits and fills on raw ones;
- a suspended day (NaN bar) gives NaN features and no entry or exit on that row.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from alphamoe.errors import ConfigurationError
from alphamoe.market.bars import BoolArray, FloatArray, Panel

if TYPE_CHECKING:
    from alphamoe.strategy.stats import ClosedTrades


class StrategyParams(BaseModel):
    """Base of a strategy's typed parameters: frozen, so a strategy instance cannot drift."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _type_name(annotation: Any) -> str:
    """`int`, `tuple[FactorTerm, ...]`: the annotation as a user would write it."""
    if isinstance(annotation, type):
        return annotation.__name__
    return re.sub(r"\b(?:\w+\.)+(\w+)", r"\1", str(annotation))  # drop module paths


def invalid_params(what: str, model: type[BaseModel], exc: ValidationError) -> ConfigurationError:
    """Return the error for bad parameters of `what`: each problem, then every valid field with its type."""
    fields = ", ".join(
        f"{k} ({_type_name(v.annotation)}, {'required' if v.is_required() else f'default {v.get_default()!r}'})"
        for k, v in model.model_fields.items()
    )
    problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors())
    return ConfigurationError(f"bad parameters for {what}: {problems}. Valid parameters: {fields or 'none'}")


@dataclass(frozen=True)
class StrategySignals:
    """A strategy's output over a panel: every array is T×N, aligned with `panel.dates` × `panel.symbols`.

    `entries[t, i]`/`exits[t, i]` are decided at row t's close and trade at the next session's open.
    `score` ranks entries (higher is better, NaN where undefined); `features` are the factor values the
    router's experts read.
    """

    entries: BoolArray
    exits: BoolArray
    score: FloatArray
    features: dict[str, FloatArray]

    def __post_init__(self) -> None:
        shape = self.entries.shape
        named = {"exits": self.exits, "score": self.score, **{f"features[{k!r}]": v for k, v in self.features.items()}}
        for name, array in named.items():
            if array.shape != shape:
                raise ValueError(f"StrategySignals.{name} has shape {array.shape}, entries has {shape}")
        if self.entries.dtype != np.bool_ or self.exits.dtype != np.bool_:
            raise ValueError(
                f"StrategySignals entries/exits must be bool, were {self.entries.dtype}/{self.exits.dtype}"
            )


@dataclass(frozen=True)
class LatestSignals:
    """What the day's scan needs: entries/exits of every row (T×N, for the Kelly trade history) and the
    score and features of the last row only (N), so a strategy may skip computing features of the past.
    """

    entries: BoolArray
    exits: BoolArray
    score: FloatArray
    features: dict[str, FloatArray]

    def __post_init__(self) -> None:
        if self.exits.shape != self.entries.shape:
            raise ValueError(f"LatestSignals.exits has shape {self.exits.shape}, entries has {self.entries.shape}")
        width = self.entries.shape[1:]
        named = {"score": self.score, **{f"features[{k!r}]": v for k, v in self.features.items()}}
        for name, array in named.items():
            if array.shape != width:
                raise ValueError(f"LatestSignals.{name} has shape {array.shape}, the last row has {width}")


class Strategy(ABC):
    """A named, parameterised signal generator; subclasses set `name`, `Params` and `signals`.

    A subclass narrows `params` to its own model (`params: MyParams`), so its code reads typed fields.
    """

    name: ClassVar[str]
    Params: ClassVar[type[StrategyParams]]
    params: StrategyParams

    def __init__(self, params: StrategyParams | None = None) -> None:
        params = self.Params() if params is None else params
        if not isinstance(params, self.Params):
            raise TypeError(f"{type(self).__name__} takes {self.Params.__name__}, was {type(params).__name__}")
        self.params = params

    @abstractmethod
    def signals(self, panel: Panel) -> StrategySignals:
        """Return entries, exits, score and features for every row of `panel`, using rows ≤ t for row t."""

    def latest(self, panel: Panel) -> LatestSignals:
        """Return every row's entries and exits with the last row's score and features (the scan's view).

        The default slices `signals`; a strategy with a cheaper path for the last row overrides it, and
        must return the same values (tested for the shipped strategies).
        """
        full = self.signals(panel)
        return LatestSignals(
            entries=full.entries,
            exits=full.exits,
            score=full.score[-1],
            features={key: values[-1] for key, values in full.features.items()},
        )

    def decisions(self, panel: Panel) -> StrategySignals:
        """Return what a backtest decides on: every row's entries and exits, and the score on entry rows.

        No features (a backtest reads none) and the score may be NaN off entry rows, so a strategy can
        skip storing T×N features; entries, exits and entry-row scores must equal `signals` (tested).
        """
        full = self.signals(panel)
        return StrategySignals(entries=full.entries, exits=full.exits, score=full.score, features={})

    def window_trades(self, panel: Panel, rows: Sequence[int], *, lookback: int, fee_rate: float) -> list[ClosedTrades]:
        """Return `stats.window_trades` at each of `rows`: the strategy run on the `lookback` sessions ending
        there alone, its trades closed by then (what Kelly's p and b at that refresh count).

        The default runs each window on its own (a thread per core: the kernels release the GIL); a strategy
        with a fused kernel over every window overrides it and must return the same trades (tested).
        """
        from alphamoe.strategy.stats import window_trades

        def one(row: int) -> ClosedTrades:
            return window_trades(panel, self, row, lookback=lookback, fee_rate=fee_rate)

        with ThreadPoolExecutor(max_workers=max(min(len(rows), os.cpu_count() or 1), 1)) as pool:
            return list(pool.map(one, rows))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"
