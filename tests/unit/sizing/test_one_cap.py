"""One setting per cap: sizing allocates within risk's caps (ALPHAMOE_RISK__MAX_*_WEIGHT), never a cap of its own.

Issue 15: sizing's MAX_POSITION_WEIGHT 0.2 against risk's 0.1 rejected 117 best orders.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.risk.config import CAPS, RiskLimits
from alphamoe.settings import Settings
from alphamoe.sizing.config import SizingConfig


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CAPS:
        for section in ("SIZING", "RISK"):
            monkeypatch.delenv(f"ALPHAMOE_{section}__{name.upper()}", raising=False)


def test_settings_when_sizing_cap_above_risk_cap_then_start_fails_naming_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAMOE_SIZING__MAX_POSITION_WEIGHT", "0.2")
    monkeypatch.setenv("ALPHAMOE_RISK__MAX_POSITION_WEIGHT", "0.1")
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = str(raised.value)
    assert "ALPHAMOE_SIZING__MAX_POSITION_WEIGHT=0.2" in message and "ALPHAMOE_RISK__MAX_POSITION_WEIGHT=0.1" in message


def test_cli_when_caps_disagree_then_exits_before_any_work_naming_both(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ALPHAMOE_SIZING__MAX_BOARD_WEIGHT", "0.7")
    result = CliRunner().invoke(app, ["run", "--date", "2025-03-31", "--data", str(tmp_path)])
    output = " ".join(result.output.split())
    assert result.exit_code != 0
    assert "ALPHAMOE_SIZING__MAX_BOARD_WEIGHT=0.7" in output and "ALPHAMOE_RISK__MAX_BOARD_WEIGHT=0.5" in output


def test_settings_when_cap_set_on_risk_then_sizing_reads_the_same_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAMOE_RISK__MAX_POSITION_WEIGHT", "0.1")
    monkeypatch.setenv("ALPHAMOE_RISK__MAX_INDUSTRY_WEIGHT", "0.2")
    monkeypatch.setenv("ALPHAMOE_SIZING__KELLY_FRACTION", "0.25")
    settings = Settings()
    assert [getattr(settings.sizing, c) for c in CAPS] == [getattr(settings.risk, c) for c in CAPS] == [0.1, 0.5, 0.2]
    assert settings.sizing.kelly_fraction == 0.25


def test_settings_when_old_sizing_name_agrees_with_risk_then_it_keeps_working(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAMOE_SIZING__MAX_POSITION_WEIGHT", "0.05")
    assert Settings().sizing.max_position_weight == 0.05


def test_settings_when_built_in_code_then_the_same_rule_holds() -> None:
    with pytest.raises(ValidationError, match="ALPHAMOE_RISK__MAX_POSITION_WEIGHT"):
        Settings(sizing=SizingConfig(max_position_weight=0.2), risk=RiskLimits(max_position_weight=0.1))
    settings = Settings(sizing=SizingConfig(kelly_fraction=0.3), risk=RiskLimits(max_position_weight=0.08))
    assert (settings.sizing.max_position_weight, settings.sizing.kelly_fraction) == (0.08, 0.3)


def test_defaults_when_unset_then_sizing_and_risk_caps_equal() -> None:
    assert [getattr(SizingConfig(), c) for c in CAPS] == [getattr(RiskLimits(), c) for c in CAPS]
