"""Build the five stages from settings: the one place where configuration meets the library."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from alphamoe.errors import ConfigurationError
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages import ExecuteStage, MarketData, RiskStage, RouteStage, ScanStage, SizeStage
from alphamoe.risk.engine import RiskEngine
from alphamoe.risk.state import TradingState
from alphamoe.router.graph import default_router
from alphamoe.settings import Settings
from alphamoe.strategy.trend_breakout import TrendBreakout

STAGE_NAMES = ("scan", "route", "size", "risk", "execute")
AnyStage = ScanStage | RouteStage | SizeStage | RiskStage | ExecuteStage


@dataclass(frozen=True)
class Stages:
    data: MarketData
    scan: ScanStage
    route: RouteStage
    size: SizeStage
    risk: RiskStage
    execute: ExecuteStage

    def by_name(self, name: str) -> AnyStage:
        stage: AnyStage = getattr(self, name)
        return stage


def _fixed_state(state: TradingState) -> TradingState:
    return state


def build_stage(name: str, settings: Settings, *, secret: bytes, data: MarketData | None = None) -> AnyStage:
    """Build one stage, as a function process needs; `data` shares one market view between stages."""
    if name not in STAGE_NAMES:
        raise ConfigurationError(f"unknown function {name!r}; expected one of {', '.join(STAGE_NAMES)}")
    if name == "route":
        return RouteStage(default_router(llm_enabled=False))
    data = data or MarketData(BarStore(settings.data))
    accounts = AccountBook(settings.runs_dir / "accounts", settings.account_id, settings.initial_cash)
    if name == "scan":
        return ScanStage(data, TrendBreakout(TrendBreakout.Params()), lookback=settings.lookback)
    if name == "size":
        return SizeStage(data, accounts, settings.sizing, settings.commission)
    if name == "risk":
        engine = RiskEngine(settings.risk, secret, settings.commission)
        return RiskStage(data, accounts, engine, partial(_fixed_state, settings.trading_state))
    return ExecuteStage(data, accounts, secret, settings.commission)


def build_stages(settings: Settings, *, secret: bytes) -> Stages:
    """Wire all five stages in one process (the in-process run), sharing one market view."""
    data = MarketData(BarStore(settings.data))
    built = {name: build_stage(name, settings, secret=secret, data=data) for name in STAGE_NAMES}
    return Stages(data=data, **built)  # type: ignore[arg-type]
