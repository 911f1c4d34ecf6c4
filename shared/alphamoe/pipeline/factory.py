"""Build the five stages from settings: the one place where configuration meets the library."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, TypeAlias

from alphamoe.errors import ConfigurationError
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.barrier import BarrierStore, barrier_store
from alphamoe.risk.state import TradingState
from alphamoe.settings import Settings

if TYPE_CHECKING:
    from alphamoe.pipeline.stages.execute import ExecuteStage
    from alphamoe.pipeline.stages.market_data import MarketData
    from alphamoe.pipeline.stages.risk import RiskStage
    from alphamoe.pipeline.stages.route import RouteStage
    from alphamoe.pipeline.stages.scan import ScanStage
    from alphamoe.pipeline.stages.size import SizeStage

STAGE_NAMES = ("scan", "route", "size", "risk", "execute")
AnyStage: TypeAlias = "ScanStage | RouteStage | SizeStage | RiskStage | ExecuteStage"


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


def open_market(settings: Settings) -> MarketData:
    """Open the bar store (pandas, pyarrow: ~1 s of imports that the route function never needs)."""
    from alphamoe.market.bars import BarStore
    from alphamoe.pipeline.stages.market_data import MarketData

    return MarketData(BarStore(settings.data))


def _barrier(settings: Settings) -> BarrierStore:
    # Redis when the fabric has it: every replica of size/risk then sees the same batch.
    return barrier_store(settings.redis_url, ttl_s=settings.fabric.ttl_s)


def build_stage(name: str, settings: Settings, *, secret: bytes, data: MarketData | None = None) -> AnyStage:
    """Build one stage, as a function process needs; `data` shares one market view between stages.

    Each branch imports its own stage, so a function process loads only the code its stage runs.
    """
    if name not in STAGE_NAMES:
        raise ConfigurationError(f"unknown function {name!r}; expected one of {', '.join(STAGE_NAMES)}")
    if name == "route":
        from alphamoe.pipeline.stages.route import build_route_stage

        return build_route_stage(settings)
    data = data or open_market(settings)
    accounts = AccountBook(
        settings.runs_dir / "accounts", settings.account_id, settings.initial_cash, actions=data.store
    )
    if name == "scan":
        from alphamoe.pipeline.stages.scan import ScanStage
        from alphamoe.strategy.registry import strategy_by_name

        strategy = strategy_by_name(settings.scan.strategy, settings.scan.params)
        return ScanStage(data, strategy, lookback=settings.lookback, max_signals=settings.scan.max_signals)
    if name == "size":
        from alphamoe.pipeline.stages.size import SizeStage

        return SizeStage(
            data,
            accounts,
            settings.sizing,
            settings.commission,
            barrier=_barrier(settings),
            timeout_s=settings.fabric.barrier_timeout_s,
        )
    if name == "risk":
        from alphamoe.pipeline.stages.risk import RiskStage
        from alphamoe.risk.wiring import build_risk_engine
        from alphamoe.security.keys import require_key

        return RiskStage(
            data,
            accounts,
            build_risk_engine(settings, secret),
            partial(_fixed_state, settings.trading_state),
            event_key=require_key(settings.event_key, "ALPHAMOE_EVENT_KEY"),  # verifies the runs' tokens
            barrier=_barrier(settings),
            clock=settings.clock,
            timeout_s=settings.fabric.barrier_timeout_s,
        )
    from alphamoe.broker.wiring import execute_options
    from alphamoe.pipeline.stages.execute import ExecuteStage

    options = execute_options(settings.broker, settings.redis_url, settings.account_id, settings.commission)
    return ExecuteStage(data, accounts, secret, settings.commission, **options)


def build_stages(settings: Settings, *, secret: bytes) -> Stages:
    """Wire all five stages in one process (the in-process run), sharing one market view."""
    data = open_market(settings)
    built = {name: build_stage(name, settings, secret=secret, data=data) for name in STAGE_NAMES}
    return Stages(data=data, **built)  # type: ignore[arg-type]
