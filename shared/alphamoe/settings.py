"""Settings from the environment (12-factor, for Knative): ALPHAMOE_* variables, nested with `__`.

Build them once, at the edge (CLI command, function start()), and pass values down: the library itself
never reads os.environ.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from alphamoe.market.fees import CommissionSchedule
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.state import TradingState
from alphamoe.sizing.config import SizingConfig


def default_data_dir() -> Path:
    """Return the per-user data folder that `alphamoe demo` fills ($XDG_DATA_HOME/alphamoe/market)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "alphamoe" / "market"


class Settings(BaseSettings):
    """Every knob of alphamoe; e.g. ALPHAMOE_SIZING__KELLY_FRACTION=0.25."""

    model_config = SettingsConfigDict(env_prefix="ALPHAMOE_", env_nested_delimiter="__", frozen=True, extra="ignore")
    data: Path = Field(default_factory=default_data_dir, description="bar store root (ALPHAMOE_DATA)")
    runs: Path | None = Field(None, description="where run reports and account snapshots go; default <data>/runs")
    redis_url: str | None = Field(
        None, description="Redis for the bus, journal and shared risk state (ALPHAMOE_REDIS_URL); None = in-memory"
    )
    account_id: str = "paper"
    initial_cash: Decimal = Field(Decimal("1000000"), gt=0, description="CNY of a new paper account")
    lookback: int = Field(250, ge=60, description="sessions of history the scan reads")
    approval_secret: SecretStr | None = Field(
        None, description="HMAC key risk signs approvals with; required when functions run as servers"
    )
    trading_state: TradingState = Field(
        TradingState.ACTIVE, description="kill switch by hand: HALTED rejects all but exposure-reducing sells"
    )
    sizing: SizingConfig = SizingConfig()
    risk: RiskLimits = RiskLimits()
    commission: CommissionSchedule = CommissionSchedule()

    @property
    def runs_dir(self) -> Path:
        return self.runs if self.runs is not None else self.data / "runs"
