"""`alphamoe report --run`: an in-process day (the `alphamoe run` pipeline) ends in the end-of-day report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.paths import REAL_DATA
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.market.bars import BarStore


def test_report_when_day_run_in_process_then_stored_printed_and_alphamoe_run_report_kept(
    market_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = tmp_path / "runs"
    monkeypatch.setenv("ALPHAMOE_RUNS", str(runs))
    monkeypatch.delenv("ALPHAMOE_REDIS_URL", raising=False)
    index = REAL_DATA / "index" / "sh000300.csv"
    if index.is_file():
        monkeypatch.setenv("ALPHAMOE_CLOCK__BENCHMARK_CSV", str(index))
    day = BarStore(market_dir).sessions()[-1].isoformat()
    shown = CliRunner().invoke(app, ["report", "--date", day, "--run", "--data", str(market_dir)])
    assert shown.exit_code == 0, shown.output
    assert f"end of day {day}" in shown.output and "latency:" in shown.output
    as_json = CliRunner().invoke(app, ["report", "--date", day, "--json", "--data", str(market_dir)])
    document = json.loads(as_json.output)
    assert document["source"] == "in-process"
    assert len(document["verdicts"]) == len(document["day"]["signals"]) > 0
    assert {s["stage"] for s in document["latency"]} == {"scan", "route", "size", "risk", "execute"}
    if index.is_file():
        assert document["performance"]["benchmark_return"] is not None
    assert (runs / "reports" / day / "end_of_day.html").is_file()
    assert (runs / day / "report.json").is_file() and (runs / day / "report.html").is_file()  # `alphamoe run`'s


def test_report_when_no_report_stored_then_exit_2_says_how_to_make_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--date", "2025-03-31", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "alphamoe report --date D --run" in " ".join(result.output.split())
