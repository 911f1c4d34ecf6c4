"""The parameter space: from the strategy's own Pydantic fields, narrowed by a space file checked against them."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from alphamoe.errors import ConfigurationError
from alphamoe.research.space import Choice, FloatRange, IntRange, build_space, derive_space, read_space_file
from alphamoe.strategy.trend_breakout import TrendBreakoutParams


def test_space_when_derived_then_every_scalar_field_within_its_declared_bounds() -> None:
    space = derive_space("trend_breakout", TrendBreakoutParams)
    dims = {d.name: d for d in space.dimensions}
    assert set(dims) == set(TrendBreakoutParams.model_fields)
    window = dims["breakout_window"]
    assert isinstance(window, IntRange) and window.low == 10 and window.high == 40  # half and twice the default
    fast = dims["fast_ma"]
    assert isinstance(fast, IntRange) and fast.low >= 1  # ge=1 declared
    amount = dims["min_amount"]
    assert isinstance(amount, FloatRange) and amount.low == 10_000_000.0
    for point in itertools.islice(space.grid_points(), 50):
        TrendBreakoutParams.model_validate(point)  # every grid point is a valid parameter set


def test_space_when_file_names_fields_then_only_those_searched(tmp_path: Path) -> None:
    file = tmp_path / "space.toml"
    file.write_text(
        "[breakout_window]\nlow = 10\nhigh = 30\nstep = 10\n[max_holding_days]\nchoices = [5, 10]\n"
        "[min_amount]\nvalue = 30000000.0\n",
        encoding="utf-8",
    )
    space = build_space("trend_breakout", TrendBreakoutParams, read_space_file(file))
    assert space.dimensions == (IntRange("breakout_window", 10, 30, 10), Choice("max_holding_days", (5, 10)))
    assert space.fixed == {"min_amount": 30_000_000.0}
    assert space.grid_size() == 6


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"breakout_window": {"low": 1, "high": 30}}, "breakout_window.low = 1 is outside its declared range"),
        ({"max_holding_days": {"choices": [0, 5]}}, "max_holding_days.choices = 0 is outside its declared range"),
        ({"min_amount": {"value": -5.0}}, "min_amount.value = -5.0 is outside"),
        ({"no_such": {"low": 1}}, "has no parameter 'no_such'"),
        ({"breakout_window": {"low": 30, "high": 10}}, "breakout_window.low 30 is above"),
        ({"breakout_window": {"low": 10, "hihg": 30}}, "unknown keys ['hihg']"),
        ({"min_amount": {"value": 1.0}}, "fixes every field"),
    ],
)
def test_space_when_bad_file_then_error_names_the_field(spec: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigurationError, match="space") as caught:
        build_space("trend_breakout", TrendBreakoutParams, spec)  # type: ignore[arg-type]
    assert expected in str(caught.value)
