"""Backtest configuration: the account, the live sizing/risk/fee settings, and the point-in-time windows."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.market.fees import CommissionSchedule
from alphamoe.risk.config import RiskLimits
from alphamoe.router.config import ROUTE_MODES as ROUTES
from alphamoe.router.config import RouteMode as Route
from alphamoe.sizing.config import SizingConfig

# who judges the scan's picks (`backtest.routing`): the live route modes, one set of names for both
__all__ = ["ROUTES", "BacktestConfig", "Route"]


class BacktestConfig(BaseModel):
    """Everything a backtest run depends on besides the data and the strategy; the defaults mirror live."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    account_id: str = Field("backtest", description="account id on the sized orders")
    initial_cash: Decimal = Field(Decimal("1000000"), gt=0, description="CNY at the first session")
    sizing: SizingConfig = SizingConfig()
    risk: RiskLimits = RiskLimits()
    commission: CommissionSchedule = CommissionSchedule()
    warmup: int = Field(250, ge=0, description="sessions before --start the signals may read (the scan's lookback)")
    max_signals: int = Field(200, ge=0, description="candidates per day, best score first (as the scan)")
    min_listing_days: int = Field(60, ge=0, description="a stock listed fewer sessions is not a candidate")
    route: Route = Field(
        "none",
        description="none: every pick confirmed at `confidence` (quant only); symbolic: the live router's "
        "symbolic experts judge every pick (Quant ∩ Router)",
    )
    confidence: float = Field(1.0, ge=0, le=1, description="router confidence given to every pick when route is none")
    stats_lookback: int = Field(250, ge=1, description="sessions of the strategy's own past trades behind p and b")
    stats_refresh: int = Field(
        21, ge=1, description="weekdays per block of the Kelly statistics' refresh (strategy.stats.refresh_rows)"
    )
    prior_strength: float = Field(20.0, ge=0, description="pseudo-trades of the board and universe priors in p and b")
    volume_cap: float = Field(0.1, gt=0, le=1, description="a fill takes at most this share of the day's volume")
