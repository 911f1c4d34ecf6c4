"""Accounts as configuration (issue 20 item 3): bad configurations are refused at start with the names."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from alphamoe.accounts.config import account_settings, load_accounts
from alphamoe.errors import ConfigurationError
from alphamoe.market.fees import CommissionSchedule
from alphamoe.settings import Settings


def accounts(*items: dict[str, object]) -> Settings:
    return Settings(accounts=json.dumps(list(items)))


def test_load_when_no_accounts_configured_then_the_one_account_of_the_settings() -> None:
    [only] = load_accounts(Settings(account_id="solo", initial_cash=Decimal("5000")), env={})
    assert (only.id, only.adapter, only.capital, only.strategies) == (
        "solo",
        "paper",
        Decimal("5000"),
        {"trend_breakout": 1.0},
    )


def test_load_when_duplicate_ids_then_refused_naming_the_id() -> None:
    settings = accounts({"id": "a", "capital": 1000}, {"id": "b", "capital": 1000}, {"id": "a", "capital": 2000})
    with pytest.raises(ConfigurationError, match="duplicate account id 'a'"):
        load_accounts(settings, env={})


def test_load_when_weights_sum_above_one_then_refused_naming_the_account() -> None:
    settings = accounts({"id": "a", "capital": 1000, "strategies": {"trend_breakout": 0.7, "mean_reversion": 0.4}})
    with pytest.raises(ConfigurationError, match=r"account a: strategy weights .* sum ≤ 1"):
        load_accounts(settings, env={})


def test_load_when_a_secret_is_not_set_then_refused_naming_the_variable() -> None:
    settings = accounts(
        {
            "id": "gw",
            "adapter": "remote",
            "capital": 1000,
            "secrets": {"token": "ACCT_GW_TOKEN"},
            "broker": {"url": "https://gw"},
        }
    )
    with pytest.raises(ConfigurationError, match="account gw: secrets not set: ACCT_GW_TOKEN"):
        load_accounts(settings, env={})
    [gw] = load_accounts(settings, env={"ACCT_GW_TOKEN": "t0k"})
    own = account_settings(settings, gw, env={"ACCT_GW_TOKEN": "t0k"})
    assert own.broker.token is not None and own.broker.token.get_secret_value() == "t0k"


def test_load_when_several_problems_then_all_are_named_at_once() -> None:
    settings = accounts(
        {"id": "a", "capital": 1000, "strategies": {"trend_breakout": 1.5}, "secrets": {"token": "NOPE"}},
        {"id": "a", "capital": 1000},
    )
    with pytest.raises(ConfigurationError) as refused:
        load_accounts(settings, env={})
    assert all(name in str(refused.value) for name in ("duplicate account id 'a'", "strategy weights", "NOPE"))


def test_load_when_a_field_is_wrong_then_refused_naming_account_and_field() -> None:
    with pytest.raises(ConfigurationError, match=r"account x: capital"):
        load_accounts(accounts({"id": "x", "capital": -1}), env={})
    with pytest.raises(ConfigurationError, match=r"account y: .*max_position_weight"):
        load_accounts(accounts({"id": "y", "capital": 1000, "caps": {"max_position_weight": 7}}), env={})


def test_account_settings_when_caps_and_fees_given_then_risk_sizing_and_fees_are_the_accounts(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(
        '[[accounts]]\nid = "b"\ncapital = 300000\ncaps = { max_position_weight = 0.05 }\nfees = { rate = "0.0002" }\n',
        encoding="utf-8",
    )
    settings = Settings(accounts=str(path))
    [b] = load_accounts(settings, env={})
    own = account_settings(settings, b)
    assert (own.account_id, own.initial_cash) == ("b", Decimal("300000"))
    assert own.risk.max_position_weight == own.sizing.max_position_weight == 0.05
    assert own.commission == CommissionSchedule(rate=Decimal("0.0002"))
