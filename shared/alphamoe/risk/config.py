"""Risk limits: the survival floor's configuration."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class RiskLimits(BaseModel):
    """Pre-trade limits applied to every order; defaults suit a small account."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    max_position_weight: float = Field(0.10, gt=0, le=1, description="of equity, after the fill")
    max_order_notional: Decimal = Field(Decimal("500000"), gt=0, description="CNY per order")
    max_order_quantity: int = Field(1_000_000, gt=0, description="shares per order")
    allow_st_buys: bool = Field(False, description="ST/*ST buys are blocked unless set")
    max_orders_per_day: int = Field(500, gt=0, description="below the exchanges' 20,000/day HFT threshold")
