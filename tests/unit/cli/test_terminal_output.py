"""What a person reads in a terminal, a pipe or the HTML page: every left-out row counted, rows never wrapped at 80
columns off a terminal, no Python reprs, `-o json` on stdout and the old `--json` still working.

Issue 18: the terminal showed the first 15 signals and verdicts with no "N more" line while the orders named
stocks not shown; piped, it wrapped at 80 columns (the reasons column 8 characters wide); the HTML heading
read `excluded {'suspended': 12, …}`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from support.busy_day import busy_day, busy_end_of_day, reason
from support.report_day import DAY
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.report.render import print_report, write_html
from alphamoe.report.store import ReportStore


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A runs folder holding the end-of-day report of a 25-signal day, for `alphamoe report`."""
    folder = tmp_path / "runs"
    monkeypatch.setenv("ALPHAMOE_RUNS", str(folder))
    monkeypatch.delenv("ALPHAMOE_REDIS_URL", raising=False)
    monkeypatch.delenv("ALPHAMOE_CLOCK__REPORT_STORE", raising=False)
    ReportStore.open(folder / "reports").save(busy_end_of_day(25))
    return folder


def test_print_report_when_more_signals_than_shown_then_says_how_many_more() -> None:
    console = Console(record=True, width=200)
    print_report(busy_day(20), console)
    text = console.export_text()
    assert text.count("… 5 more (use --all / -o json)") == 2  # signals, then verdicts
    console = Console(record=True, width=200)
    print_report(busy_day(20), console, limit=None)
    assert "more (use" not in console.export_text()


def test_report_when_verdicts_left_out_then_counted_and_all_shows_every_one(runs: Path, tmp_path: Path) -> None:
    shown = CliRunner().invoke(app, ["report", "--date", DAY.isoformat(), "--data", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert "… 5 more (use --all / -o json)" in shown.output
    every = CliRunner().invoke(app, ["report", "--date", DAY.isoformat(), "--data", str(tmp_path), "--all"])
    assert every.exit_code == 0 and "more (use" not in every.output and "600024.SH" in every.output


def test_report_when_output_json_then_stdout_is_the_document_and_old_json_switch_still_works(
    runs: Path, tmp_path: Path
) -> None:
    for flags in (["-o", "json"], ["--output", "json"], ["--json"]):
        done = CliRunner().invoke(app, ["report", "--date", DAY.isoformat(), "--data", str(tmp_path), *flags])
        assert done.exit_code == 0, done.output
        assert len(json.loads(done.output)["verdicts"]) == 25
    assert "--json " not in CliRunner().invoke(app, ["report", "--help"]).output  # hidden: one flag, one meaning


def test_report_when_piped_then_wide_rows_never_wrapped_at_80_columns(runs: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-m", "alphamoe.cli", "report", "--date", DAY.isoformat(), "--data", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for i in range(20):  # the first 20 verdicts: each long reason whole, on one line of the table
        assert any(reason(i) in line for line in lines), reason(i)
    assert len(lines) < 60  # 25 rows, not a reason folded over dozens of lines each


def test_html_and_terminal_when_stocks_excluded_then_counts_in_words_not_a_dict(tmp_path: Path) -> None:
    page = write_html(busy_day(3), tmp_path / "report.html").read_text(encoding="utf-8")
    assert "excluded: 12 suspended, 3 st)" in page
    assert "{" not in page.split("<body>", 1)[1].split("<table>", 1)[0] and "&#x27;" not in page
    console = Console(record=True, width=200)
    print_report(busy_day(3), console)
    assert "excluded: 12 suspended, 3 st)" in console.export_text()
