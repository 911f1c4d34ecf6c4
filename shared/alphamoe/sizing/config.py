"""Sizing configuration: Kelly fraction, the caps of the portfolio step (risk's, copied in) and the order floor."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.risk.config import MAX_BOARD_WEIGHT, MAX_INDUSTRY_WEIGHT, MAX_POSITION_WEIGHT

MIN_ORDER_VALUE = Decimal("20000")
"""Default floor of a buy: 5 CNY minimum commission / 0.025 % default rate = 20,000 CNY. At or above it the
minimum commission costs no more than the rate itself (2.5 bp); the 157 CNY orders it keeps out paid 5 CNY,
3.2 %, and over 2015-2021 on 100k CNY such fees ate 16 % of the capital. A smaller account lowers it
(ALPHAMOE_SIZING__MIN_ORDER_VALUE) knowing the cost: at 5,000 CNY the minimum is 10 bp of an order."""


class SizingConfig(BaseModel):
    """How much of the Kelly bet to take, and where to cap it. Every default is conservative."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kelly_fraction: float = Field(0.5, gt=0, le=1, description="multiplier on f* = p - (1-p)/b")
    # the caps are risk's settings (ALPHAMOE_RISK__MAX_*_WEIGHT, `risk.config.CAPS`): `Settings` copies them here
    max_position_weight: float = Field(MAX_POSITION_WEIGHT, gt=0, le=1, description="cap per stock, of equity")
    max_board_weight: float = Field(
        MAX_BOARD_WEIGHT, gt=0, le=1, description="cap per board (main, STAR, ...), of equity"
    )
    max_industry_weight: float = Field(MAX_INDUSTRY_WEIGHT, gt=0, le=1, description="cap per industry, of equity")
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
    strategy_capital: dict[str, float] = Field(
        default_factory=dict,
        description="strategy → its weight of the capital (the scan's strategy book); empty: one strategy, all of it",
    )
    min_order_value: Decimal = Field(
        MIN_ORDER_VALUE,
        ge=0,
        decimal_places=2,
        description="CNY: a buy worth less (quantity × limit) is not proposed; 0 turns the floor off",
    )

    def capital_of(self, strategy: str) -> float:
        """The share of the capital `strategy`'s signals are sized against: 1 without a book, 0 outside it."""
        return self.strategy_capital.get(strategy, 0.0) if self.strategy_capital else 1.0
