"""Accounts as configuration (issue 20 item 3): several broker accounts behind one scan and route.

ALPHAMOE_ACCOUNTS is a JSON list of accounts or the path of a TOML file with `[[accounts]]` tables. Each
account names its adapter, the environment variables holding its credentials (never the secrets
themselves), its capital, the strategies it trades with their weights, the risk caps it overrides and its
negotiated fee schedule. Everything is checked at start and refused with the names at fault: duplicate
ids, a weight sum above 1, a secret not set. Without ALPHAMOE_ACCOUNTS the one account of today's
settings is used (ALPHAMOE_ACCOUNT_ID, ALPHAMOE_INITIAL_CASH, ALPHAMOE_BROKER__*, ALPHAMOE_COMMISSION__*).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from alphamoe.broker.config import BrokerSettings
from alphamoe.errors import ConfigurationError
from alphamoe.market.fees import CommissionSchedule
from alphamoe.risk.config import CAPS, RiskLimits
from alphamoe.scan.config import ScanSettings
from alphamoe.settings import Settings

SECRET_FIELDS = ("token",)
"""The broker settings that are credentials: an account gives the name of the variable holding each."""


class AccountConfig(BaseModel):
    """One broker account: e.g. {"id": "acct-a", "adapter": "qmt", "capital": 500000,
    "strategies": {"trend_breakout": 0.6}, "broker": {"qmt_account": "8800123"}, "fees": {"rate": 0.0002}}."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", description="the account id of every event and key")
    adapter: Literal["paper", "remote", "miniqmt", "qmt"] = "paper"
    capital: Decimal = Field(gt=0, description="CNY the account starts with (its paper cash, its sizing base)")
    strategies: dict[str, float] = Field(
        default_factory=dict, description="strategy name → weight in (0, 1]; the weights sum to at most 1"
    )
    secrets: dict[str, str] = Field(
        default_factory=dict, description="credential (token) → the environment variable that holds it"
    )
    broker: dict[str, Any] = Field(default_factory=dict, description="other ALPHAMOE_BROKER__* fields of the account")
    caps: dict[str, Any] = Field(default_factory=dict, description="ALPHAMOE_RISK__* fields this account overrides")
    fees: CommissionSchedule = Field(default_factory=CommissionSchedule, description="the broker's negotiated rates")


def default_account(settings: Settings) -> AccountConfig:
    """Return the one account of today's settings (the behaviour before ALPHAMOE_ACCOUNTS)."""
    return AccountConfig(
        id=settings.account_id,
        adapter=settings.broker.adapter,
        capital=settings.initial_cash,
        strategies=settings.scan.book(),
        fees=settings.commission,
    )


def parse_accounts(raw: str) -> list[AccountConfig]:
    """Parse ALPHAMOE_ACCOUNTS: a JSON list, or the path of a TOML file with `[[accounts]]` tables."""
    text = raw.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"ALPHAMOE_ACCOUNTS is not a JSON list: {exc}") from None
    else:
        path = Path(text).expanduser()
        try:
            items = tomllib.loads(path.read_text(encoding="utf-8")).get("accounts")
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(f"ALPHAMOE_ACCOUNTS: cannot read the accounts file {path}: {exc}") from None
    if not isinstance(items, list) or not items:
        raise ConfigurationError("ALPHAMOE_ACCOUNTS must list at least one account (a JSON list or [[accounts]])")
    accounts, problems = [], []
    for n, item in enumerate(items):
        try:
            accounts.append(AccountConfig.model_validate(item))
        except ValidationError as exc:
            label = item.get("id", f"#{n + 1}") if isinstance(item, dict) else f"#{n + 1}"
            fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            problems.append(f"account {label}: {fields}")
    if problems:
        raise ConfigurationError("ALPHAMOE_ACCOUNTS refused: " + " | ".join(problems))
    return accounts


def check_accounts(accounts: list[AccountConfig], env: Mapping[str, str], known: set[str]) -> None:
    """Refuse duplicate ids, weight sums above 1, unknown strategies or caps, and secrets not set, naming all."""
    problems = [f"duplicate account id {i!r}" for i, n in sorted(Counter(a.id for a in accounts).items()) if n > 1]
    for a in accounts:
        weights = a.strategies.values()
        if sum(weights) > 1 + 1e-9 or any(not 0 < w <= 1 for w in weights):
            problems.append(f"account {a.id}: strategy weights {a.strategies} must each be in (0, 1] and sum ≤ 1")
        unknown = sorted(set(a.strategies) - known)
        if unknown:
            problems.append(f"account {a.id}: unknown strategies {', '.join(unknown)}")
        missing = [var for var in a.secrets.values() if not env.get(var)]
        if missing:
            problems.append(f"account {a.id}: secrets not set: {', '.join(sorted(missing))}")
        wrong = sorted(set(a.secrets) - set(SECRET_FIELDS))
        if wrong:
            problems.append(
                f"account {a.id}: secrets {', '.join(wrong)} are not credentials ({', '.join(SECRET_FIELDS)})"
            )
    if problems:
        raise ConfigurationError("ALPHAMOE_ACCOUNTS refused at start: " + "; ".join(problems))


def load_accounts(settings: Settings, env: Mapping[str, str] | None = None) -> list[AccountConfig]:
    """Return the configured accounts, checked (ConfigurationError naming every problem), or the default one."""
    if not settings.accounts:
        return [default_account(settings)]
    from alphamoe.strategy.registry import STRATEGIES

    accounts = parse_accounts(settings.accounts)
    check_accounts(accounts, os.environ if env is None else env, set(STRATEGIES))
    for a in accounts:
        account_settings(settings, a, os.environ if env is None else env)  # every account's settings build
    return accounts


def _weights(scan: ScanSettings, account: AccountConfig) -> ScanSettings:
    # the size stage sizes each strategy's signals against its weight of the capital (scan.strategies →
    # SizingConfig.strategy_capital), so the account's weights become its own book; the same book as the
    # scan's (or none) leaves the settings as they are, so a lone default account sizes as before
    if not account.strategies or account.strategies == scan.book():
        return scan
    return ScanSettings.model_validate({**scan.model_dump(), "strategies": account.strategies, "params": {}})


def day_scan(settings: Settings, accounts: Sequence[AccountConfig]) -> Settings:
    """Return the settings the day's one scan runs with: every strategy some account trades.

    A strategy no account names is not scanned; the book's weights matter to sizing only, which is per
    account, so the scan's are even shares.
    """
    wanted = sorted({name for a in accounts for name in (a.strategies or settings.scan.book())})
    if set(wanted) == set(settings.scan.book()):
        return settings
    if len(wanted) == 1:
        scan = ScanSettings.model_validate(
            {**settings.scan.model_dump(), "strategy": wanted[0], "strategies": {}, "params": {}}
        )
    else:
        shares = {name: 1 / len(wanted) for name in wanted}
        scan = ScanSettings.model_validate({**settings.scan.model_dump(), "strategies": shares, "params": {}})
    return settings.model_copy(update={"scan": scan})


def account_settings(settings: Settings, account: AccountConfig, env: Mapping[str, str] | None = None) -> Settings:
    """Return `settings` as one account sees them: its id, capital, fees, broker and caps (sizing's too)."""
    env = os.environ if env is None else env
    broker = {**settings.broker.model_dump(), **account.broker, "adapter": account.adapter}
    broker.update({name: SecretStr(env[var]) for name, var in account.secrets.items()})
    try:
        risk = RiskLimits.model_validate({**settings.risk.model_dump(), **account.caps})
        broker_settings = BrokerSettings.model_validate(broker)
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"ALPHAMOE_ACCOUNTS refused at start: account {account.id}: {fields}") from None
    sizing = settings.sizing.model_copy(update={name: getattr(risk, name) for name in CAPS})
    return settings.model_copy(
        update={
            "scan": _weights(settings.scan, account),
            "account_id": account.id,
            "initial_cash": account.capital,
            "commission": account.fees,
            "broker": broker_settings,
            "risk": risk,
            "sizing": sizing,
        }
    )
