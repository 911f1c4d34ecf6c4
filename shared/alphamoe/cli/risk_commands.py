"""`alphamoe risk halt|resume|status`: the kill switch by hand, in the Redis every risk replica reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from alphamoe.cli.common import console, friendly_errors, load_core_settings
from alphamoe.errors import ConfigurationError
from alphamoe.risk.state import TradingState, TradingStatus

if TYPE_CHECKING:
    from alphamoe.risk.switch import RedisSwitch

risk_app = typer.Typer(no_args_is_help=True, help="Kill switch: halt, reduce or resume trading for an account.")

AccountOption = Annotated[str | None, typer.Option("--account", help="account id (default $ALPHAMOE_ACCOUNT_ID)")]
RedisOption = Annotated[
    str | None, typer.Option("--redis-url", help="Redis URL (default $ALPHAMOE_REDIS_URL, else the local cluster's)")
]
ReasonOption = Annotated[str, typer.Option("--reason", help="why; stored and carried by every rejection")]


def _switch(redis_url: str | None) -> RedisSwitch:
    from alphamoe.cli.fabric_commands import fabric_core_settings
    from alphamoe.kv.client import connect
    from alphamoe.risk.switch import RedisSwitch

    # the core settings alone (issue 18: start ≤ 0.3 s); else: the local cluster's
    settings = load_core_settings(redis_url=redis_url) if redis_url else fabric_core_settings()
    if not settings.redis_url:
        raise ConfigurationError(
            "the kill switch lives in Redis, and no Redis is configured: set ALPHAMOE_REDIS_URL or pass --redis-url "
            "(an in-process run takes ALPHAMOE_TRADING_STATE=HALTED instead)"
        )
    return RedisSwitch(connect(settings.redis_url))


def _account(account: str | None) -> str:
    return account or load_core_settings().account_id


def _show(account: str, status: TradingStatus) -> None:
    console.print(f"account [bold]{account}[/bold]: [bold]{status.describe()}[/bold]")


def _set(state: TradingState, reason: str, account: str | None, redis_url: str | None) -> None:
    with friendly_errors():
        switch, who = _switch(redis_url), _account(account)
        _show(who, switch.set(who, state, reason, at=datetime.now(UTC)))


@risk_app.command()
def halt(reason: ReasonOption = "halted by hand", account: AccountOption = None, redis_url: RedisOption = None) -> None:
    """Set HALTED: risk approves no new order (cancels of working orders go on)."""
    _set(TradingState.HALTED, reason, account, redis_url)


@risk_app.command()
def reduce(
    reason: ReasonOption = "reducing by hand", account: AccountOption = None, redis_url: RedisOption = None
) -> None:
    """Set REDUCING: risk approves only sells that reduce a holding."""
    _set(TradingState.REDUCING, reason, account, redis_url)


@risk_app.command()
def resume(
    reason: ReasonOption = "resumed by hand", account: AccountOption = None, redis_url: RedisOption = None
) -> None:
    """Set ACTIVE again; the drawdown limit then counts from the current equity."""
    _set(TradingState.ACTIVE, reason, account, redis_url)


@risk_app.command()
def status(account: AccountOption = None, redis_url: RedisOption = None) -> None:
    """Print the trading state, why and since when."""
    with friendly_errors():
        switch, who = _switch(redis_url), _account(account)
        _show(who, switch.status(who))
