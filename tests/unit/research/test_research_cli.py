"""`alphamoe search` / `walk-forward`: bad input is one clear line (exit 2), never a silent best; a search
writes its table, its report and a study a rerun continues."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.market.bars import BarStore

RANGE = ["--start", "2024-06-03", "--end", "2025-03-31"]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join((result.output + (result.stderr if result.stderr_bytes else "")).split())


@pytest.fixture(scope="module")
def universe(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    file = tmp_path_factory.mktemp("universe") / "universe.txt"
    file.write_text("\n".join(BarStore(market_dir).instruments()["symbol"].tolist()[:120]), encoding="utf-8")
    return str(file)


@pytest.fixture
def space(tmp_path: Path) -> Path:
    file = tmp_path / "space.toml"
    file.write_text("[breakout_window]\nchoices = [10, 30]\n", encoding="utf-8")
    return file


@pytest.mark.parametrize(
    ("command", "extra", "expected"),
    [
        ("search", ["--space", "BAD"], "breakout_window.low = 1 is outside its declared range"),
        ("search", ["--objective", "luck"], "unknown objective 'luck'"),
        ("search", ["--sampler", "annealing"], "unknown sampler 'annealing'"),
        ("walk-forward", ["--in-sample", "0"], "empty window"),
        ("walk-forward", ["--in-sample", "900", "--out-of-sample", "60"], "the in-sample window would be empty"),
    ],
)
def test_research_cli_when_input_is_bad_then_exit_2_naming_it(
    market_dir: Path, tmp_path: Path, universe: str, command: str, extra: list[str], expected: str
) -> None:
    if "BAD" in extra:
        bad = tmp_path / "bad.toml"
        bad.write_text("[breakout_window]\nlow = 1\nhigh = 30\n", encoding="utf-8")
        extra = ["--space", str(bad)]
    code, output = _run(command, *RANGE, "--data", str(market_dir), "--universe", universe, "--workers", "1", *extra)
    assert code == 2 and expected in output and "Traceback" not in output, output


def test_search_cli_when_no_trial_meets_the_objective_then_exit_2_not_a_best(
    market_dir: Path, tmp_path: Path, universe: str, space: Path
) -> None:
    code, output = _run(
        "search", *RANGE, "--data", str(market_dir), "--universe", universe, "--space", str(space), "--sampler",
        "grid", "--workers", "1", "--max-drawdown", "0.00001", "--report", str(tmp_path / "report"),
    )  # fmt: skip
    assert code == 2 and "no trial satisfies the objective" in output and "best:" not in output, output
    assert not (tmp_path / "report").exists()


def test_search_cli_when_run_twice_then_report_written_and_the_study_continues(
    market_dir: Path, tmp_path: Path, universe: str
) -> None:
    space = tmp_path / "space.toml"
    space.write_text("[breakout_window]\nlow = 10\nhigh = 30\nstep = 5\n[max_holding_days]\nchoices = [5, 15]\n")
    common = ["search", *RANGE, "--data", str(market_dir), "--universe", universe, "--space", str(space)]
    code, output = _run(*common, "--trials", "4", "--batch", "2", "--workers", "1", "--report", str(tmp_path / "r"))
    assert code == 0, output
    assert "4 trials" in output and "best: trial" in output and "deflated Sharpe" in output
    page = (tmp_path / "r" / "search.html").read_text(encoding="utf-8")
    assert "parameter importance" in page
    assert re.search(r"sharpe over (breakout_window|max_holding_days) × (breakout_window|max_holding_days)", page)
    assert "equity of the best" in page and "4 trials" in page
    code, output = _run(*common, "--trials", "6", "--batch", "2", "--workers", "1")
    assert code == 0 and "6 trials" in output and "trials 6/6" in output, output
