"""Sizing configuration: Kelly fraction and the caps of the portfolio step."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class SizingConfig(BaseModel):
    """How much of the Kelly bet to take, and where to cap it. Every default is conservative."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kelly_fraction: float = Field(0.5, gt=0, le=1, description="multiplier on f* = p - (1-p)/b")
    max_position_weight: float = Field(0.05, gt=0, le=1, description="cap per stock, of equity")
    max_board_weight: float = Field(0.5, gt=0, le=1, description="cap per board (main, STAR, ...), of equity")
    max_industry_weight: float = Field(0.25, gt=0, le=1, description="cap per industry, of equity")
    trim_band: float = Field(
        0.02, ge=0, le=1, description="trim a holding back to its cap once it is this far above (avoids churn)"
    )
    max_total_weight: float = Field(0.9, gt=0, le=1, description="cap on all positions, of equity")
    cash_reserve: float = Field(0.05, ge=0, lt=1, description="equity kept in cash")
    min_confidence: float = Field(0.0, ge=0, le=1, description="router confidence below this gives no order")
    limit_buffer: Decimal = Field(
        Decimal("0.02"),
        ge=0,
        le=Decimal("0.1"),
        description="buy limit = reference × (1 + buffer), capped at limit-up",
    )
    max_orders: int = Field(50, gt=0, description="most new buys per day, best Kelly first")
