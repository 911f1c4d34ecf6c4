"""Settings from the environment (12-factor, for Knative): ALPHAMOE_* variables, nested with `__`.

Build them once, at the edge (CLI command, function start()), and pass values down: the library itself
never reads os.environ. `CoreSettings` (alphamoe.settings_core) holds the part a quick CLI verb builds alone.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, SecretStr, model_validator

from alphamoe.alerts.config import AlertSettings
from alphamoe.broker.config import BrokerSettings
from alphamoe.console.config import ConsoleSettings
from alphamoe.data.feeds.config import DataSourceSettings
from alphamoe.kv.config import LocalRedisSettings
from alphamoe.market.fees import CommissionSchedule
from alphamoe.quotes.config import QuoteSettings
from alphamoe.risk.config import CAPS, RiskLimits
from alphamoe.risk.state import TradingState
from alphamoe.router.config import RouteSettings
from alphamoe.scan.config import ScanSettings
from alphamoe.settings_core import CoreSettings
from alphamoe.settings_core import default_data_dir as default_data_dir  # re-exported: defined with the core
from alphamoe.sizing.config import SizingConfig


class Settings(CoreSettings):
    """Every knob of alphamoe; e.g. ALPHAMOE_SIZING__KELLY_FRACTION=0.25.

    The core's fields (data, runs, redis_url, account_id, event_key, s3, fabric, clock, llm) and `runs_dir`
    come from `CoreSettings`, its model config too (ALPHAMOE_ prefix, `__` nesting, frozen).
    """

    local_redis: LocalRedisSettings = Field(
        default_factory=LocalRedisSettings, description="the Redis `cluster up` starts (ALPHAMOE_LOCAL_REDIS__*)"
    )
    initial_cash: Decimal = Field(Decimal("1000000"), gt=0, description="CNY of a new paper account")
    lookback: int = Field(250, ge=60, description="sessions of history the scan reads")
    approval_secret: SecretStr | None = Field(
        None, description="HMAC key risk signs approvals with; required when functions run as servers"
    )
    trading_state: TradingState = Field(
        TradingState.ACTIVE, description="kill switch floor: REDUCING only reducing sells, HALTED no new order"
    )
    sizing: SizingConfig = SizingConfig()
    risk: RiskLimits = RiskLimits()
    commission: CommissionSchedule = CommissionSchedule()
    accounts: str | None = Field(
        None,
        description="several accounts: a JSON list or a TOML file path (ALPHAMOE_ACCOUNTS; alphamoe.accounts.config)",
    )
    broker: BrokerSettings = Field(default_factory=BrokerSettings, description="execute's broker (ALPHAMOE_BROKER__*)")
    scan: ScanSettings = Field(default_factory=ScanSettings, description="the scan's strategy (ALPHAMOE_SCAN__*)")
    route: RouteSettings = Field(
        default_factory=RouteSettings, description="route stage mode (ALPHAMOE_ROUTE__MODE=none|symbolic)"
    )
    data_source: DataSourceSettings = Field(
        default_factory=DataSourceSettings, description="`data update`'s vendor (ALPHAMOE_DATA_SOURCE__NAME, …)"
    )
    console: ConsoleSettings = Field(
        default_factory=ConsoleSettings, description="`alphamoe console`: users, TLS (ALPHAMOE_CONSOLE__*)"
    )
    quotes: QuoteSettings = Field(
        default_factory=QuoteSettings, description="paper trading the open session on quotes (ALPHAMOE_QUOTES__*)"
    )
    alerts: AlertSettings = Field(
        default_factory=AlertSettings, description="WeCom/Feishu/DingTalk/Telegram/email alerts (ALPHAMOE_ALERTS__*)"
    )

    @model_validator(mode="before")
    @classmethod
    def _one_setting_per_cap(cls, data: Any) -> Any:
        """Copy risk's weight caps into sizing: one setting per cap, so no sized order meets a cap of its own.

        A cap still given on sizing (the old ALPHAMOE_SIZING__MAX_*_WEIGHT) must equal risk's, or start fails
        naming both settings (0.2 against 0.1 once rejected every best order).
        """
        if not isinstance(data, dict):
            return data
        risk, sizing = data.get("risk") or {}, data.get("sizing") or {}
        caps = {name: _field(risk, name, RiskLimits) for name in CAPS}
        given = _given(sizing)
        for name in CAPS:
            if name in given and not _same(given[name], caps[name]):
                old, new = f"ALPHAMOE_SIZING__{name.upper()}", f"ALPHAMOE_RISK__{name.upper()}"
                raise ValueError(
                    f"{old}={given[name]} differs from {new}={caps[name]}: sizing and risk read one cap, "
                    f"{new}; set it there and remove {old}"
                )
        return {**data, "sizing": {**given, **caps}}


def _field(section: object, name: str, model: type[BaseModel]) -> Any:
    # a section's value as given (env string, number, or a built model), else the model's default
    if isinstance(section, BaseModel):
        return getattr(section, name)
    if isinstance(section, dict) and name in section:
        return section[name]
    return model.model_fields[name].default


def _given(section: object) -> dict[str, Any]:
    # the fields a section sets explicitly: the env's keys, or a built model's fields (its defaults omitted)
    if isinstance(section, BaseModel):
        return {k: getattr(section, k) for k in section.model_fields_set}
    return dict(section) if isinstance(section, dict) else {}


def _same(a: Any, b: Any) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False  # not a number: the field's own validation names it
