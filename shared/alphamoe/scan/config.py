"""The scan's settings: which strategy the scan function runs (ALPHAMOE_SCAN__STRATEGY, …__PARAMS)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ScanSettings(BaseModel):
    """Strategy name and parameter overrides; checked by `strategy_by_name` when the stage is built."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    strategy: str = Field("trend_breakout", description="a name of alphamoe.strategy.STRATEGIES")
    params: dict[str, Any] = Field(default_factory=dict, description="overrides of the strategy's defaults (JSON)")
    max_signals: int = Field(200, ge=0, description="at most this many signals per day, best first")
