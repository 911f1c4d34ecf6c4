"""`alphamoe schedule fire` on a real Redis: the CronJob's and a trader's command, through the same claim."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.keys import EVENT_KEY
from typer.testing import CliRunner

from alphamoe.cli.app import app

pytestmark = pytest.mark.integration


@pytest.fixture
def env(redis_url: str, market_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAMOE_REDIS_URL", redis_url)
    monkeypatch.setenv("ALPHAMOE_DATA", str(market_dir))
    monkeypatch.setenv("ALPHAMOE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("ALPHAMOE_EVENT_KEY", EVENT_KEY.decode())  # the ticks' run tokens are signed with it


def fire(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["schedule", "fire", *args, "--no-report"])
    return result.exit_code, " ".join(result.output.split())


@pytest.mark.usefixtures("env")
def test_fire_when_make_up_sunday_then_not_a_session() -> None:
    code, out = fire("market-open", "--date", "2024-02-18")
    assert code == 0 and "not_a_session" in out and "next session 2024-02-19" in out


@pytest.mark.usefixtures("env")
def test_fire_when_past_day_unforced_then_missed_and_forced_then_new_run() -> None:
    code, out = fire("market-open", "--date", "2024-10-08")
    assert code == 0 and "missed" in out and "not caught up" in out
    code, out = fire("market-open", "--date", "2024-10-08", "--force")
    assert code == 0 and "claimed" in out and "-rerun1" in out
    code, out = fire("market-open", "--date", "2024-10-08")
    assert code == 0 and "duplicate" in out and "acknowledged and ignored" in out


@pytest.mark.usefixtures("env")
def test_fire_when_day_beyond_the_calendar_then_exit_2_and_says_why() -> None:
    code, out = fire("market-open", "--date", "2031-03-03", "--force")
    assert code == 2 and "outside the XSHG calendar's coverage" in out


@pytest.mark.usefixtures("env")
def test_fire_when_unknown_tick_then_exit_2() -> None:
    code, out = fire("lunch-break")
    assert code == 2 and "market-open, market-close" in out
