"""The deflated Sharpe ratio (Bailey & López de Prado 2014): how likely a selected Sharpe beats luck.

With per-period (not annualised) Sharpe ratios:

- PSR(SR*) = Φ( (SR − SR*) √(T − 1) / √(1 − γ₃ SR + (γ₄ − 1)/4 · SR²) ), γ₃ the skewness and γ₄ the
  (non-excess) kurtosis of the T returns behind SR;
- SR* = √V[SR] · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))), the expected best Sharpe of N independent
  trials with no skill, V[SR] the variance of the trials' Sharpe ratios, γ Euler–Mascheroni's constant;
- DSR = PSR(SR*).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from scipy.stats import norm  # type: ignore[import-untyped]

EULER_GAMMA = 0.5772156649015329


class DeflatedSharpe(BaseModel):
    """A selection's Sharpe ratio, deflated by the number of trials behind it; every figure per period."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    sharpe: float
    expected_max_sharpe: float
    trials: int
    trial_sharpe_variance: float
    observations: int
    skewness: float
    kurtosis: float
    probability: float  # DSR: the probability that the true Sharpe exceeds the expected best of luck


def expected_max_sharpe(trials: int, variance: float) -> float:
    """Return SR*: the expected maximum Sharpe ratio of `trials` unskilled trials with that Sharpe variance."""
    if trials < 1:
        raise ValueError(f"trials must be ≥ 1, was {trials}")
    if trials == 1:
        return 0.0
    z = (1 - EULER_GAMMA) * norm.ppf(1 - 1 / trials) + EULER_GAMMA * norm.ppf(1 - 1 / (trials * math.e))
    return float(math.sqrt(max(variance, 0.0)) * z)


def probabilistic_sharpe(sharpe: float, benchmark: float, observations: int, skewness: float, kurtosis: float) -> float:
    """Return PSR: the probability that the true Sharpe exceeds `benchmark`, given T observations' moments."""
    if observations < 2:
        raise ValueError(f"a probabilistic Sharpe needs ≥ 2 observations, had {observations}")
    spread = 1 - skewness * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if spread <= 0:
        raise ValueError(f"the Sharpe ratio's variance term is not positive ({spread:.4g}): moments inconsistent")
    return float(norm.cdf((sharpe - benchmark) * math.sqrt(observations - 1) / math.sqrt(spread)))


def moments(returns: npt.NDArray[np.float64]) -> tuple[float, float, float]:
    """Return (per-period Sharpe, skewness, non-excess kurtosis) of `returns` (population moments)."""
    r = np.asarray(returns, dtype=np.float64)
    mean, std = float(r.mean()), float(r.std())
    if std == 0:
        return 0.0, 0.0, 3.0
    z = (r - mean) / std
    return mean / float(r.std(ddof=1)), float((z**3).mean()), float((z**4).mean())


def deflated_sharpe(returns: npt.NDArray[np.float64], trial_sharpes: Sequence[float]) -> DeflatedSharpe:
    """Return the DSR of the selection whose per-period `returns` are given, over every trial's Sharpe ratio."""
    sharpe, skewness, kurtosis = moments(returns)
    trials = len(trial_sharpes)
    variance = float(np.var(np.asarray(trial_sharpes, dtype=np.float64), ddof=1)) if trials > 1 else 0.0
    benchmark = expected_max_sharpe(max(trials, 1), variance)
    return DeflatedSharpe(
        sharpe=sharpe,
        expected_max_sharpe=benchmark,
        trials=trials,
        trial_sharpe_variance=variance,
        observations=len(returns),
        skewness=skewness,
        kurtosis=kurtosis,
        probability=probabilistic_sharpe(sharpe, benchmark, len(returns), skewness, kurtosis),
    )
