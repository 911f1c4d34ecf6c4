"""`alphamoe trigger market-open|market-close` on a real Redis: a trader's trigger goes through the clock.

The XSHG calendar refuses holidays and make-up weekends (exit 2, one line, no traceback), the day is claimed
once (a second trigger is acknowledged and ignored), and `--force` starts a new run id.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from support.clock import published
from support.keys import EVENT_KEY
from typer.testing import CliRunner

from alphamoe.bus.redis import RedisBus
from alphamoe.bus.triggers import day_run_id
from alphamoe.cli.app import app
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import MarketClose, MarketOpen
from alphamoe.settings import Settings

pytestmark = pytest.mark.integration

DAY = date(2024, 10, 8)  # the first session after the 2024 National Day week: a past day, run on demand


@pytest.fixture
def env(redis_url: str, market_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ALPHAMOE_REDIS_URL", redis_url)
    monkeypatch.setenv("ALPHAMOE_DATA", str(market_dir))
    monkeypatch.setenv("ALPHAMOE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("ALPHAMOE_EVENT_KEY", EVENT_KEY.decode())  # the ticks' run tokens are signed with it
    return redis_url


def trigger(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["trigger", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.output.split())


def on_stream(url: str, kind: type[MarketOpen] | type[MarketClose]) -> list[Envelope[MarketOpen | MarketClose]]:
    return published(RedisBus.from_url(url), kind)


@pytest.mark.parametrize(
    ("day", "why"),
    [
        ("2024-10-01", "2024-10-01 (Tuesday) is not an XSHG session"),  # National Day, a weekday holiday
        ("2024-02-04", "2024-02-04 (Sunday) is not an XSHG session"),  # a make-up Sunday: China worked, SSE shut
    ],
)
@pytest.mark.parametrize("force", [False, True])
def test_trigger_when_exchange_shut_then_exit_2_says_why_and_nothing_published(
    env: str, day: str, why: str, force: bool
) -> None:
    code, out = trigger("market-open", "--date", day, *(["--force"] if force else []))
    assert code == 2
    assert why in out and "no market.open sent" in out and "Traceback" not in out
    assert on_stream(env, MarketOpen) == []


def test_trigger_when_beyond_calendar_coverage_then_exit_2(env: str) -> None:
    code, out = trigger("market-open", "--date", "2031-03-03")
    assert code == 2 and "outside the XSHG calendar's coverage" in out
    assert on_stream(env, MarketOpen) == []


def test_trigger_when_past_session_twice_then_runs_once_and_second_is_ignored(env: str, market_dir: Path) -> None:
    expected = day_run_id(Settings(data=market_dir), DAY)  # the in-process run's id: fabric == in-process
    code, out = trigger("market-open", "--date", DAY.isoformat())
    assert code == 0 and f"run {expected}: published" in out and "on demand by manual" in out
    code, out = trigger("market-open", "--date", DAY.isoformat())
    assert code == 0 and "not published" in out and "acknowledged and ignored" in out and expected in out
    assert [e.run_id for e in on_stream(env, MarketOpen)] == [expected]


def test_trigger_when_forced_then_new_run_id_and_close_follows_the_rerun(env: str, market_dir: Path) -> None:
    first = day_run_id(Settings(data=market_dir), DAY)
    assert trigger("market-open", "--date", DAY.isoformat())[0] == 0
    code, out = trigger("market-close", "--date", DAY.isoformat())
    assert code == 0 and f"run {first}: published" in out
    code, out = trigger("market-open", "--date", DAY.isoformat(), "--force")
    assert code == 0 and f"run {first}-rerun1: published" in out and "forced by manual" in out
    opens = on_stream(env, MarketOpen)
    assert [(e.run_id, e.payload.force) for e in opens] == [(first, False), (f"{first}-rerun1", True)]
    # the rerun's close is its own: the earlier close belonged to the first run
    code, out = trigger("market-close", "--date", DAY.isoformat())
    assert code == 0 and f"run {first}-rerun1: published" in out
    code, out = trigger("market-close", "--date", DAY.isoformat())
    assert code == 0 and "acknowledged and ignored" in out
    assert [e.run_id for e in on_stream(env, MarketClose)] == [first, f"{first}-rerun1"]


def test_trigger_when_close_of_a_holiday_then_exit_2(env: str) -> None:
    code, out = trigger("market-close", "--date", "2024-10-01")
    assert code == 2 and "no market.close sent" in out
    assert on_stream(env, MarketClose) == []
