"""Score an arm's decisions against what followed: passed-over picks, calibration, style attribution."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

from alphamoe.evaluate.model import Attribution, CalibrationBucket, PassedOverScore
from alphamoe.evaluate.outcomes import FloatArray

BUCKETS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)
"""Confidence edges of the calibration table (the last bucket holds 1.0)."""
TRADING_DAYS = 252


def _mean(values: FloatArray) -> float | None:
    return float(values.mean()) if len(values) else None


def passed_over(passed: np.ndarray, confirmed: np.ndarray, forward: Mapping[int, FloatArray]) -> list[PassedOverScore]:
    """Return, per horizon, how the `passed` picks did (a fall is a hit) beside the `confirmed` ones."""
    out = []
    for horizon, returns in sorted(forward.items()):
        known = np.isfinite(returns)
        mine, kept = returns[passed & known], returns[confirmed & known]
        out.append(
            PassedOverScore(
                horizon=horizon,
                n=len(mine),
                hit_rate=float((mine <= 0).mean()) if len(mine) else None,
                mean_return=_mean(mine),
                confirmed_mean_return=_mean(kept),
            )
        )
    return out


def right(confirm: np.ndarray, returns: FloatArray) -> np.ndarray:
    """True where a verdict was right: a confirm that rose, a veto that did not."""
    return np.where(confirm, returns > 0, returns <= 0)


def calibration(confidence: FloatArray, correct: np.ndarray) -> list[CalibrationBucket]:
    """Return the confidence buckets (BUCKETS) with their realised hit rates; empty buckets are left out."""
    out = []
    for low, high in itertools.pairwise(BUCKETS):
        inside = (confidence >= low) & (confidence < high)
        if inside.any():
            out.append(
                CalibrationBucket(
                    low=low,
                    high=min(high, 1.0),
                    n=int(inside.sum()),
                    mean_confidence=float(confidence[inside].mean()),
                    hit_rate=float(correct[inside].mean()),
                )
            )
    return out


def attribution(returns: FloatArray, factors: Mapping[str, FloatArray]) -> Attribution | None:
    """Return the least-squares fit returns = α + Σ β·factor; None with fewer days than unknowns + 2."""
    names = sorted(factors)
    ok = np.isfinite(returns) & np.all([np.isfinite(factors[n]) for n in names], axis=0)
    if ok.sum() < len(names) + 3:
        return None
    y = returns[ok]
    x = np.column_stack([np.ones(int(ok.sum())), *(factors[n][ok] for n in names)])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ coef
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((residual**2).sum()) / total if total > 0 else 0.0
    return Attribution(
        days=int(ok.sum()),
        alpha_annual=round(float(coef[0]) * TRADING_DAYS, 10),
        betas={n: round(float(b), 10) for n, b in zip(names, coef[1:], strict=True)},
        r_squared=round(r2, 10),
    )
