"""The scan's settings: which strategy the scan function runs (ALPHAMOE_SCAN__STRATEGY, …__PARAMS), or a
strategy book of several with capital weights (ALPHAMOE_SCAN__STRATEGIES)."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ScanSettings(BaseModel):
    """Strategy name and parameter overrides; checked by `strategy_by_name` when the stage is built.

    A strategy book (`strategies`, e.g. {"trend_breakout": 0.6, "momentum_composite": 0.4}) runs several
    strategies in one scan, each signal tagged with its strategy, through one router, sizing and risk;
    sizing bets each strategy's signals against its weight of the capital. Weights are in (0, 1] and sum
    to at most 1 (the rest stays in cash), refused at start otherwise with the names.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    strategy: str = Field("trend_breakout", description="a name of alphamoe.strategy.STRATEGIES")
    params: dict[str, Any] = Field(default_factory=dict, description="overrides of the strategy's defaults (JSON)")
    max_signals: int = Field(200, ge=0, description="at most this many signals per day, best first")
    strategies: dict[str, float] = Field(
        default_factory=dict,
        description="strategy book: name → capital weight in (0, 1], summing to ≤ 1 (JSON); replaces `strategy`",
    )

    @model_validator(mode="after")
    def _weights_in_range(self) -> Self:
        bad = sorted(name for name, weight in self.strategies.items() if not 0 < weight <= 1)
        if bad:
            raise ValueError(
                f"strategy book weights must be in (0, 1]: {', '.join(f'{n}={self.strategies[n]}' for n in bad)}"
            )
        total = sum(self.strategies.values())
        if total > 1 + 1e-9:
            listed = " + ".join(f"{n} {w}" for n, w in sorted(self.strategies.items()))
            raise ValueError(f"strategy book weights sum to {total:g} > 1: {listed}; the capital is split, not levered")
        if self.strategies and self.params:
            raise ValueError("params apply to the single `strategy`; a strategy book runs each at its defaults")
        return self

    def book(self) -> dict[str, float]:
        """Strategy name → capital weight: the book, or the single strategy with all the capital."""
        return dict(self.strategies) if self.strategies else {self.strategy: 1.0}
