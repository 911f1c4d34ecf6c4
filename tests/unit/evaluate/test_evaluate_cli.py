"""`alphamoe evaluate` refuses bad input with the reason, before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from alphamoe.cli.app import app


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--live", "--budget-cny", "0"], "--budget-cny must be positive with --live, was 0"),
        (["--live"], "--budget-cny must be positive with --live, was None"),
        (["--budget-cny", "5"], "--budget-cny only applies with --live"),
        (["--live", "--budget-cny", "five"], "--budget-cny 'five' is not a number"),
        (["--live", "--budget-cny", "5"], "--live needs a model"),
    ],
)
def test_evaluate_when_bad_budget_or_live_then_refused_with_reason(
    args: list[str], reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ALPHAMOE_LLM_BASE_URL", "ALPHAMOE_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(
        app, ["evaluate", "--start", "2024-09-02", "--end", "2024-09-30", "--data", str(tmp_path), *args]
    )
    assert result.exit_code == 2, result.output
    assert reason in " ".join(result.output.split())
