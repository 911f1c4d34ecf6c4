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
    """Open the bar store (pandas, pyarrow: ~1 s of imports that the route function never needs).

    With a quote source (ALPHAMOE_QUOTES__SOURCE), a day the store lacks yet opens on its opening rows.
    """
    from alphamoe.market.bars import BarStore
    from alphamoe.pipeline.stages.market_data import MarketData

    store = BarStore(settings.data)
    quotes = None
    if settings.quotes.source != "none":
        from alphamoe.quotes.opening import OpeningStore
        from alphamoe.quotes.wiring import configured_quotes

        quotes = configured_quotes(settings)
    if quotes is None:
        return MarketData(store)
    source = quotes
    return MarketData(OpeningStore(store), opening=lambda day: source.previous_closes(day, None))


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

        params = None if settings.scan.strategies else settings.scan.params  # a book runs each at its defaults
        strategies = [strategy_by_name(name, params) for name in settings.scan.book()]  # each checked at start
        return ScanStage(data, strategies, lookback=settings.lookback, max_signals=settings.scan.max_signals)
    if name == "size":
        from alphamoe.pipeline.stages.size import SizeStage
        from alphamoe.sizing.config import SizingConfig

        capital = {"strategy_capital": settings.scan.strategies}  # the book's split of the capital, if any
        return SizeStage(
            data,
            accounts,
            SizingConfig.model_validate({**settings.sizing.model_dump(), **capital}),
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
    from alphamoe.quotes.wiring import configured_quotes

    options = execute_options(settings.broker, settings.redis_url, settings.account_id, settings.commission)
    stage = ExecuteStage(data, accounts, secret, settings.commission, **options)
    stage.quotes = configured_quotes(settings)  # the paper session fills on them (fed by market.close)
    stage.follow_live = True  # a function follows a live source's session on a feed thread (build_stages: not)
    return stage


def build_stages(settings: Settings, *, secret: bytes, data: MarketData | None = None) -> Stages:
    """Wire all five stages in one process (the in-process run), sharing one market view (`data`, or the store's)."""
    data = data or open_market(settings)
    built = {name: build_stage(name, settings, secret=secret, data=data) for name in STAGE_NAMES}
    stages = Stages(data=data, **built)  # type: ignore[arg-type]
    stages.execute.follow_live = False  # in process, run_day feeds the session itself (trade_session)
    return stages
