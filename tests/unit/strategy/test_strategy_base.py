from __future__ import annotations

import numpy as np
import pytest

from alphamoe.strategy.base import StrategySignals


def _arrays(shape: tuple[int, int] = (3, 2)) -> dict[str, np.ndarray]:
    return {"entries": np.zeros(shape, bool), "exits": np.zeros(shape, bool), "score": np.zeros(shape)}


def test_strategy_signals_when_a_feature_shape_differs_then_value_error_names_it() -> None:
    with pytest.raises(ValueError, match=r"features\['ret_1d'\] has shape \(2, 2\)"):
        StrategySignals(**_arrays(), features={"ret_1d": np.zeros((2, 2))})


def test_strategy_signals_when_entries_are_not_bool_then_value_error() -> None:
    arrays = _arrays()
    arrays["entries"] = np.zeros((3, 2))
    with pytest.raises(ValueError, match="must be bool"):
        StrategySignals(**arrays, features={})
