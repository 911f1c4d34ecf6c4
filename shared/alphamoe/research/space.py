"""A strategy's parameter space, read from its own Pydantic params and narrowed by an optional space file.

Every scalar field of `Strategy.Params` is a dimension: a bool or Literal field its choices; an int or
float field a range, from the field's declared bounds (`ge`/`gt`/`le`/`lt`) met with half and twice its
default where a bound is missing. A space file (TOML or JSON) names the fields to search, each a table of
`low`/`high` (with `step` for ints, `points` for a float grid, `log`), `choices`, or a fixed `value`;
fields it does not name stay at their defaults. Every value is checked against the field's declared
range: a value outside it is a ConfigurationError naming the field.
"""

from __future__ import annotations

import itertools
import json
import math
import tomllib
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from alphamoe.errors import ConfigurationError
from alphamoe.strategy.base import StrategyParams

Scalar = int | float | bool | str
FLOAT_POINTS = 5  # grid points of a float range unless the space file says
INT_POINTS = 9  # grid points of a default int range (the step is chosen to give about this many)


@dataclass(frozen=True)
class IntRange:
    name: str
    low: int
    high: int
    step: int = 1

    def grid(self) -> list[Scalar]:
        return list(range(self.low, self.high + 1, self.step))


@dataclass(frozen=True)
class FloatRange:
    name: str
    low: float
    high: float
    log: bool = False
    points: int = FLOAT_POINTS

    def grid(self) -> list[Scalar]:
        if self.points == 1 or self.low == self.high:
            return [self.low]
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            return [math.exp(a + (b - a) * k / (self.points - 1)) for k in range(self.points)]
        return [self.low + (self.high - self.low) * k / (self.points - 1) for k in range(self.points)]


@dataclass(frozen=True)
class Choice:
    name: str
    values: tuple[Scalar, ...]

    def grid(self) -> list[Scalar]:
        return list(self.values)


Dimension = IntRange | FloatRange | Choice


@dataclass(frozen=True)
class ParamSpace:
    """The searched dimensions of one strategy, and the fields held fixed (over the defaults)."""

    strategy: str
    dimensions: tuple[Dimension, ...]
    fixed: dict[str, Scalar]

    def grid(self) -> dict[str, list[Scalar]]:
        return {d.name: d.grid() for d in self.dimensions}

    def grid_size(self) -> int:
        return math.prod(len(v) for v in self.grid().values())

    def grid_points(self) -> Iterator[dict[str, Scalar]]:
        """Yield the grid's parameter sets, lazily (a default space's grid may hold millions)."""
        names = [d.name for d in self.dimensions]
        return (dict(zip(names, combo, strict=True)) for combo in itertools.product(*self.grid().values()))

    def describe(self) -> dict[str, Any]:
        """Return the space as plain data (the study's identity, and the report's table)."""
        dims: dict[str, Any] = {}
        for d in self.dimensions:
            if isinstance(d, Choice):
                dims[d.name] = {"choices": list(d.values)}
            elif isinstance(d, IntRange):
                dims[d.name] = {"low": d.low, "high": d.high, "step": d.step}
            else:
                dims[d.name] = {"low": d.low, "high": d.high, "log": d.log, "points": d.points}
        return {"strategy": self.strategy, "dimensions": dims, "fixed": self.fixed}


def _bounds(info: FieldInfo) -> tuple[float | None, float | None, bool, bool]:
    # (lower, upper, lower exclusive, upper exclusive) from the field's declared constraints
    low = high = None
    low_open = high_open = False
    for m in info.metadata:
        if isinstance(m, annotated_types.Ge):
            low = float(m.ge)  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Gt):
            low, low_open = float(m.gt), True  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Le):
            high = float(m.le)  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Lt):
            high, high_open = float(m.lt), True  # type: ignore[arg-type]
    return low, high, low_open, high_open


def _literal(annotation: Any) -> tuple[Scalar, ...] | None:
    return tuple(typing.get_args(annotation)) if typing.get_origin(annotation) is typing.Literal else None


def default_dimension(name: str, info: FieldInfo) -> Dimension | None:
    """Return the dimension a field gives with no space file; None for a field that is not a scalar."""
    annotation, default = info.annotation, info.get_default()
    if annotation is bool:
        return Choice(name, (False, True))
    if (values := _literal(annotation)) is not None:
        return Choice(name, values)
    if annotation not in (int, float) or not isinstance(default, int | float) or isinstance(default, bool):
        return None
    low, high, low_open, high_open = _bounds(info)
    span_low, span_high = (default / 2, default * 2) if default > 0 else (default * 2, default / 2)
    if default == 0:
        span_low, span_high = 0.0, 1.0
    lo = span_low if low is None else max(span_low, low)
    hi = span_high if high is None else min(span_high, high)
    if annotation is int:
        ilo = math.ceil(lo) + (1 if low_open and math.ceil(lo) == low else 0)
        ihi = math.floor(hi) - (1 if high_open and math.floor(hi) == high else 0)
        ilo, ihi = min(ilo, int(default)), max(ihi, int(default))
        step = max(1, (ihi - ilo) // (INT_POINTS - 1))
        return IntRange(name, ilo, ihi, step)
    if low_open and lo == low:
        lo = lo + (hi - lo) * 1e-3
    if high_open and hi == high:
        hi = hi - (hi - lo) * 1e-3
    return FloatRange(name, float(lo), float(hi))


def derive_space(strategy: str, params: type[StrategyParams]) -> ParamSpace:
    """Return every scalar field of `params` as a dimension (module docstring)."""
    dims = [d for n, f in params.model_fields.items() if (d := default_dimension(n, f)) is not None]
    if not dims:
        raise ConfigurationError(
            f"strategy {strategy} has no scalar parameter to search; give a space file with the fields to fix"
        )
    return ParamSpace(strategy, tuple(dims), {})


def read_space_file(path: Path) -> dict[str, Any]:
    """Return the space file's tables by field name (TOML, or JSON for a `.json` file)."""
    if not path.is_file():
        raise ConfigurationError(f"space file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        loaded = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"space file {path} is not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}") from None
    if not isinstance(loaded, dict):
        raise ConfigurationError(f"space file {path} must be a table of parameter names")
    return loaded


def _check(params: type[BaseModel], name: str, key: str, value: Any) -> None:
    # one value against the field's declared type and range: the model validates it with the other defaults
    try:
        params.model_validate({name: value})
    except ValidationError as exc:
        problems = "; ".join(e["msg"] for e in exc.errors() if e["loc"][:1] == (name,))
        if not problems:  # only other fields (required ones the space does not name) failed
            return
        raise ConfigurationError(f"space: {name}.{key} = {value!r} is outside its declared range: {problems}") from None


def build_space(strategy: str, params: type[StrategyParams], spec: dict[str, Any] | None) -> ParamSpace:
    """Return the space of `params`: derived from the fields alone, or the fields `spec` names (module docstring)."""
    if spec is None:
        return derive_space(strategy, params)
    fields = params.model_fields
    dims: list[Dimension] = []
    fixed: dict[str, Scalar] = {}
    for name, table in spec.items():
        if name not in fields:
            raise ConfigurationError(
                f"space: {strategy} has no parameter {name!r}; its parameters: {', '.join(fields)}"
            )
        if not isinstance(table, dict):
            table = {"value": table}
        unknown = set(table) - {"low", "high", "step", "points", "log", "choices", "value"}
        if unknown:
            raise ConfigurationError(
                f"space: {name} has unknown keys {sorted(unknown)}; use low/high (step, points, log), choices or value"
            )
        for key in ("low", "high", "value"):
            if key in table:
                _check(params, name, key, table[key])
        for value in table.get("choices", []):
            _check(params, name, "choices", value)
        if "value" in table:
            fixed[name] = table["value"]
        elif "choices" in table:
            if not table["choices"]:
                raise ConfigurationError(f"space: {name}.choices is empty")
            dims.append(Choice(name, tuple(table["choices"])))
        else:
            dims.append(_range(strategy, name, fields[name], table))
    if not dims:
        raise ConfigurationError("space: the space file fixes every field it names; give at least one range or choices")
    return ParamSpace(strategy, tuple(dims), fixed)


def _range(strategy: str, name: str, info: FieldInfo, table: dict[str, Any]) -> Dimension:
    base = default_dimension(name, info)
    if not isinstance(base, IntRange | FloatRange):
        raise ConfigurationError(f"space: {strategy}.{name} is not a number; give it choices or a value")
    low, high = table.get("low", base.low), table.get("high", base.high)
    if low > high:
        raise ConfigurationError(f"space: {name}.low {low} is above {name}.high {high}")
    if isinstance(base, IntRange):
        if not (isinstance(low, int) and isinstance(high, int)):
            raise ConfigurationError(f"space: {name} is an int parameter; low and high must be ints")
        step = int(table.get("step", max(1, (high - low) // (INT_POINTS - 1))))
        if step < 1:
            raise ConfigurationError(f"space: {name}.step must be ≥ 1, was {step}")
        return IntRange(name, low, high, step)
    points = int(table.get("points", FLOAT_POINTS))
    log = bool(table.get("log", False))
    if points < 1:
        raise ConfigurationError(f"space: {name}.points must be ≥ 1, was {points}")
    if log and low <= 0:
        raise ConfigurationError(f"space: {name} is searched on a log scale; low must be > 0, was {low}")
    return FloatRange(name, float(low), float(high), log, points)
