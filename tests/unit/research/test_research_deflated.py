"""The deflated Sharpe ratio against Bailey & López de Prado's (2014) worked example."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alphamoe.research.deflated import deflated_sharpe, expected_max_sharpe, moments, probabilistic_sharpe


def test_deflated_sharpe_when_paper_example_then_sr_star_0_1132_and_dsr_0_9004() -> None:
    # the paper's numerical example: N = 100 trials, annualised V[SR] = 1/2, best annualised SR = 2.5,
    # T = 1250 daily returns (5 years of 250), skewness −3, kurtosis 10 → SR* ≈ 0.1132 a day, DSR ≈ 0.9004
    sr_star = expected_max_sharpe(100, 0.5 / 250)
    assert sr_star == pytest.approx(0.1132, abs=5e-5)
    dsr = probabilistic_sharpe(2.5 / math.sqrt(250), sr_star, 1250, -3.0, 10.0)
    assert dsr == pytest.approx(0.9004, abs=5e-5)


def test_deflated_sharpe_when_more_trials_then_lower_probability() -> None:
    rng = np.random.default_rng(3)
    returns = rng.normal(0.001, 0.01, 750)
    sharpes = list(rng.normal(0.0, 0.03, 1000))
    few, many = deflated_sharpe(returns, sharpes[:10]), deflated_sharpe(returns, sharpes)
    assert few.trials == 10 and many.trials == 1000
    assert many.expected_max_sharpe > few.expected_max_sharpe and many.probability < few.probability
    sharpe, skew, kurt = moments(returns)
    assert sharpe == pytest.approx(returns.mean() / returns.std(ddof=1))
    assert abs(skew) < 0.3 and kurt == pytest.approx(3.0, abs=0.5)  # normal draws


def test_deflated_sharpe_when_one_trial_then_the_benchmark_is_zero() -> None:
    assert expected_max_sharpe(1, 0.01) == 0.0
    with pytest.raises(ValueError, match="trials must be ≥ 1"):
        expected_max_sharpe(0, 0.01)
