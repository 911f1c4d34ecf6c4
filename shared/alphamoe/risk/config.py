"""Risk limits: the survival floor's configuration (ALPHAMOE_RISK__<FIELD>)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alphamoe.risk.state import TradingState

# The exchanges' high-frequency programme-trading thresholds (SSE/SZSE 2024 rules): 300 orders and
# cancels per second, or 20,000 per day, per account. The defaults below stay well under both.
HFT_ORDERS_PER_SECOND = 300
HFT_ORDERS_PER_DAY = 20_000

# The weight caps, one setting each (ALPHAMOE_RISK__MAX_*_WEIGHT): risk refuses a buy past them and sizing
# (`Settings` hands them to `SizingConfig`) allocates within them, so a sized order never meets a cap of
# its own. The defaults are sizing's conservative targets: 20 stocks to fill the book, two boards at least.
MAX_POSITION_WEIGHT = 0.05
MAX_BOARD_WEIGHT = 0.5
MAX_INDUSTRY_WEIGHT = 0.25
CAPS: tuple[str, ...] = ("max_position_weight", "max_board_weight", "max_industry_weight")
"""The caps sizing and risk share: fields of both `RiskLimits` and `SizingConfig`, set once, on risk."""


class RiskLimits(BaseModel):
    """Pre-trade limits applied to every order; defaults suit a small account."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    max_position_weight: float = Field(
        MAX_POSITION_WEIGHT, gt=0, le=1, description="per stock, of equity, after the fill (sizing's cap too)"
    )
    max_board_weight: float = Field(
        MAX_BOARD_WEIGHT, gt=0, le=1, description="per board (main, STAR, ...), of equity (sizing's cap too)"
    )
    max_industry_weight: float = Field(
        MAX_INDUSTRY_WEIGHT, gt=0, le=1, description="per industry, of equity, after the fill (sizing's cap too)"
    )
    max_order_notional: Decimal = Field(Decimal("500000"), gt=0, description="CNY per order")
    max_order_quantity: int = Field(1_000_000, gt=0, description="shares per order")
    allow_st_buys: bool = Field(False, description="ST/*ST buys are blocked unless set")
    allow_delisting_buys: bool = Field(False, description="buys in the delisting period (退) are blocked unless set")
    max_orders_per_day: int = Field(500, gt=0, description="approved orders per account and day")
    max_orders_and_cancels_per_day: int = Field(
        2_000, gt=0, le=HFT_ORDERS_PER_DAY - 1, description="orders + cancels per day, below the 20,000 HFT line"
    )
    max_orders_per_second: int = Field(
        100, gt=0, le=HFT_ORDERS_PER_SECOND - 1, description="approvals within one second, below the 300/s HFT line"
    )
    max_active_orders: int = Field(300, gt=0, description="approved orders not yet terminal")
    daily_loss_limit: float = Field(0.05, gt=0, le=1, description="loss of the last session, of equity")
    max_drawdown: float = Field(0.20, gt=0, le=1, description="fall from the equity peak")
    on_daily_loss: TradingState = Field(TradingState.REDUCING, description="state the daily loss limit switches to")
    on_drawdown: TradingState = Field(TradingState.HALTED, description="state the drawdown limit switches to")
    allow_simulation: bool = Field(
        True,
        description="decide simulation and replay runs (other days, paper only); a live deployment sets False",
    )
    approval_ttl_s: int = Field(
        3600, gt=0, description="seconds a simulation or replay approval stays valid (a session's: until its close)"
    )

    @model_validator(mode="after")
    def _caps_nest(self) -> RiskLimits:
        if self.max_orders_per_day > self.max_orders_and_cancels_per_day:
            raise ValueError(
                f"risk.max_orders_per_day {self.max_orders_per_day} exceeds "
                f"risk.max_orders_and_cancels_per_day {self.max_orders_and_cancels_per_day}"
            )
        if TradingState.ACTIVE in (self.on_daily_loss, self.on_drawdown):
            raise ValueError("risk.on_daily_loss and risk.on_drawdown must be REDUCING or HALTED, not ACTIVE")
        return self
