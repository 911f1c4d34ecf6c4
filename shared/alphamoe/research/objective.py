"""What a search maximises and what a trial must satisfy: one backtest metric, a drawdown cap, a trade floor."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.errors import ConfigurationError

OBJECTIVES = {
    "sharpe": "annualised Sharpe ratio",
    "sortino": "annualised Sortino ratio",
    "calmar": "CAGR / max drawdown",
    "cagr": "compound annual growth",
    "total_return": "total return",
    "excess_return": "total return − the universe average's",
    "excess_cagr": "CAGR − the universe average's",
    "information_ratio": "information ratio against the universe average",
}
"""Objectives by name: each a `backtest.metrics` figure, maximised."""


class Objective(BaseModel):
    """The metric to maximise and the constraints a trial must meet to be chosen."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    metric: str = "sharpe"
    max_drawdown: float | None = Field(None, gt=0, le=1, description="a trial's max drawdown must not exceed this")
    min_trades: int = Field(0, ge=0, description="a trial needs at least this many closed round trips")

    def model_post_init(self, _context: object) -> None:
        if self.metric not in OBJECTIVES:
            raise ConfigurationError(f"unknown objective {self.metric!r}; valid objectives: {', '.join(OBJECTIVES)}")

    def violations(self, figures: dict[str, float | None]) -> list[str]:
        """Return why a trial with these figures cannot be chosen (empty: it can)."""
        out = []
        value = figures.get(self.metric)
        if value is None or not math.isfinite(value):
            out.append(f"{self.metric} undefined")
        drawdown = figures.get("max_drawdown")
        if self.max_drawdown is not None and drawdown is not None and drawdown > self.max_drawdown:
            out.append(f"max drawdown {drawdown:.1%} > {self.max_drawdown:.1%}")
        trips = int(figures.get("round_trips") or 0)
        if trips < self.min_trades:
            out.append(f"{trips} round trips < {self.min_trades}")
        return out

    def constraints(self, figures: dict[str, float | None]) -> dict[str, float]:
        """Return Optuna's constraint values by name (≤ 0: met) for its constrained samplers."""
        drawdown = figures.get("max_drawdown") or 0.0
        cap = self.max_drawdown if self.max_drawdown is not None else 1.0
        return {
            "max_drawdown": drawdown - cap,
            "min_trades": float(self.min_trades - int(figures.get("round_trips") or 0)),
        }

    def describe(self) -> str:
        parts = [f"maximise {self.metric}"]
        if self.max_drawdown is not None:
            parts.append(f"max drawdown ≤ {self.max_drawdown:.0%}")
        if self.min_trades:
            parts.append(f"≥ {self.min_trades} round trips")
        return ", ".join(parts)
