"""A capital whose position cap is below the minimum order value fails at start (issue 15, item 4).

100,000 CNY × the default 5 % cap = 5,000 CNY, below the default 20,000 CNY floor: nothing would ever be bought.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.errors import ConfigurationError
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.pipeline.stages.size import SizeStage
from alphamoe.sizing.config import SizingConfig
from alphamoe.sizing.consistency import check_order_floor

NAMES = ("ALPHAMOE_SIZING__MIN_ORDER_VALUE", "ALPHAMOE_RISK__MAX_POSITION_WEIGHT", "ALPHAMOE_INITIAL_CASH")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*NAMES, "ALPHAMOE_SIZING__MAX_POSITION_WEIGHT"):
        monkeypatch.delenv(name, raising=False)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_floor_when_100k_at_the_default_cap_then_fails_naming_the_settings_and_what_would_work() -> None:
    with pytest.raises(ConfigurationError) as raised:
        check_order_floor(Decimal(100_000), SizingConfig())
    message = str(raised.value)
    assert all(name in message for name in NAMES), message
    assert "5000.00 CNY" in message  # the largest buy the cap allows
    # each way out: a floor within the cap, a cap that holds the floor, a capital whose cap holds it
    assert "ALPHAMOE_SIZING__MIN_ORDER_VALUE ≤ 5000.00" in message
    assert "ALPHAMOE_RISK__MAX_POSITION_WEIGHT ≥ 0.2000" in message
    assert "ALPHAMOE_INITIAL_CASH ≥ 400000" in message


def test_floor_when_each_suggested_value_is_set_then_it_passes() -> None:
    check_order_floor(Decimal(100_000), SizingConfig(min_order_value=Decimal("5000")))
    check_order_floor(Decimal(100_000), SizingConfig(max_position_weight=0.2))
    check_order_floor(Decimal(400_000), SizingConfig())
    check_order_floor(Decimal(100_000), SizingConfig(min_order_value=Decimal(0)))


def test_floor_when_the_floor_exceeds_the_capital_then_no_cap_above_one_is_suggested() -> None:
    with pytest.raises(ConfigurationError) as raised:
        check_order_floor(Decimal(10_000), SizingConfig())
    assert "MAX_POSITION_WEIGHT ≥" not in str(raised.value)


def test_size_stage_when_capital_too_small_for_the_floor_then_refuses_to_start(
    tmp_path: Path, market_dir: Path
) -> None:
    accounts = AccountBook(tmp_path, "acc", Decimal(100_000))
    with pytest.raises(ConfigurationError, match="ALPHAMOE_SIZING__MIN_ORDER_VALUE"):
        SizeStage(MarketData(BarStore(market_dir)), accounts, SizingConfig(), CommissionSchedule())


def test_run_when_capital_too_small_for_the_floor_then_exits_2_before_any_work(
    monkeypatch: pytest.MonkeyPatch, market_dir: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("ALPHAMOE_INITIAL_CASH", "100000")
    monkeypatch.setenv("ALPHAMOE_RUNS", str(tmp_path / "runs"))
    result = CliRunner().invoke(app, ["run", "--date", "2024-09-02", "--data", str(market_dir), "--quiet"])
    output = _flat(result.output)
    assert result.exit_code == 2, output
    assert all(name in output for name in NAMES), output
    assert not (tmp_path / "runs").exists()  # refused before any run was written


def test_backtest_when_cash_too_small_for_the_floor_then_exits_2_naming_cash(market_dir: Path) -> None:
    args = ["backtest", "--start", "2024-09-02", "--end", "2024-09-30", "--data", str(market_dir), "--cash", "100000"]
    result = CliRunner().invoke(app, args)
    output = _flat(result.output)
    assert result.exit_code == 2, output
    assert "ALPHAMOE_SIZING__MIN_ORDER_VALUE=20000" in output and "--cash=100000" in output
    assert "ALPHAMOE_RISK__MAX_POSITION_WEIGHT=0.05" in output and "--cash ≥ 400000" in output
