"""`alphamoe run --accounts` (issue 20): one scan and route, a summary line per account and the combined one, the
combined report beside each account's; an account's strategy weight is the share of its capital sizing bets."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.market.bars import BarStore

pytestmark = pytest.mark.slow

ACCOUNTS = json.dumps(
    [
        {"id": "full", "capital": 1000000, "strategies": {"trend_breakout": 1.0}},
        {"id": "half", "capital": 1000000, "strategies": {"trend_breakout": 0.5}},
    ]
)


@pytest.fixture(scope="module")
def day(market_dir: Path) -> date:
    return BarStore(market_dir).sessions()[-1]


def test_run_accounts_when_two_accounts_then_a_line_each_combined_report_and_weights_size_the_capital(
    market_dir: Path, day: date, tmp_path: Path
) -> None:
    args = ["run", "--date", day.isoformat(), "--data", str(market_dir), "--accounts", ACCOUNTS]
    result = CliRunner().invoke(app, args, env={"ALPHAMOE_RUNS": str(tmp_path)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("full ") for line in lines) and any(line.startswith("half ") for line in lines)
    assert any(line.startswith("all accounts") for line in lines)
    folder = tmp_path / day.isoformat() / "accounts"
    combined = json.loads((folder / "report.json").read_text())
    assert [a["account_id"] for a in combined["accounts"]] == ["full", "half"]
    reports = {a["account_id"]: json.loads((folder / a["report"]).read_text()) for a in combined["accounts"]}
    assert combined["orders"] == sum(len(r["orders"]) for r in reports.values())
    buys = {
        name: {o["symbol"]: o["quantity"] for o in r["orders"] if o["side"] == "BUY"} for name, r in reports.items()
    }
    assert buys["full"], "the day bought nothing: the weights are not exercised"
    common = set(buys["full"]) & set(buys["half"])
    assert common and all(buys["half"][s] <= buys["full"][s] for s in common)
    assert sum(buys["half"].values()) < sum(buys["full"].values())  # half the capital at stake
    assert any("trend_breakout capital 0.5" in reason for o in reports["half"]["orders"] for reason in o["reasons"])


def test_run_accounts_when_duplicate_id_and_weights_above_one_then_refused_at_start_naming_them(
    market_dir: Path, day: date, tmp_path: Path
) -> None:
    bad = json.dumps(
        [
            {"id": "a", "capital": 1000, "strategies": {"trend_breakout": 0.7, "momentum_composite": 0.6}},
            {"id": "a", "capital": 1000, "secrets": {"token": "NOT_SET_ANYWHERE_TOKEN"}},
        ]
    )
    args = ["run", "--date", day.isoformat(), "--data", str(market_dir), "--accounts", bad]
    result = CliRunner().invoke(app, args, env={"ALPHAMOE_RUNS": str(tmp_path)})
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "duplicate account id 'a'" in said and "sum ≤ 1" in said and "NOT_SET_ANYWHERE_TOKEN" in said
    assert not (tmp_path / day.isoformat()).exists()
