"""`alphamoe scan`: the table, the JSON with every signal, and clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.market.bars import BarStore


@pytest.fixture(scope="module")
def scan_day_text(market_dir: Path) -> str:
    return BarStore(market_dir).sessions()[-1].isoformat()


def test_scan_cli_when_run_then_prints_table_and_writes_signals_json(
    market_dir: Path, scan_day_text: str, tmp_path: Path
) -> None:
    out = tmp_path / "scan.json"

    result = CliRunner().invoke(
        app, ["scan", "--date", scan_day_text, "--data", str(market_dir), "--json", str(out), "--top", "3"]
    )

    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    completed, signals = document["completed"], document["signals"]
    assert completed["trading_day"] == scan_day_text and completed["strategy"] == "trend_breakout"
    assert completed["candidates"] == len(signals) > 0
    assert [s["rank"] for s in signals] == list(range(len(signals)))
    assert all(0 < s["p_win"] < 1 and s["payoff"] > 0 and s["n_trades"] >= 0 for s in signals)
    assert signals[0]["symbol"] in result.output and "trend_breakout" in result.output


def test_scan_cli_when_other_strategy_and_params_then_uses_them(
    market_dir: Path, scan_day_text: str, tmp_path: Path
) -> None:
    out = tmp_path / "scan.json"
    args = ["scan", "--date", scan_day_text, "--data", str(market_dir), "--strategy", "momentum_composite"]

    result = CliRunner().invoke(app, [*args, "--params", '{"max_holding_days": 5}', "--json", str(out)])

    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["completed"]["strategy"] == "momentum_composite"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--strategy", "nope"], "unknown strategy 'nope'; valid strategies:"),
        (["--params", '{"fast_ma": "x"}'], "fast_ma: Input should be a valid integer"),
        (["--params", "[1]"], "--params must be a JSON object"),
    ],
    ids=["unknown-strategy", "wrong-param-type", "params-not-object"],
)
def test_scan_cli_when_input_is_bad_then_exit_2_with_a_clear_message(
    market_dir: Path, scan_day_text: str, extra: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, ["scan", "--date", scan_day_text, "--data", str(market_dir), *extra])

    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_scan_cli_when_date_is_not_a_date_then_exit_2(market_dir: Path) -> None:
    result = CliRunner().invoke(app, ["scan", "--date", "2025-13-01", "--data", str(market_dir)])

    assert result.exit_code == 2
    assert "is not a date" in result.output
