"""Issue 16 item 6: a holiday, a weekend or a day past the data is refused with exit 2 and the next session,
nothing is published, and no account snapshot is written for a day that was not traded.

The issue's finding: `trigger day --date 2021-10-01` exited 0 with an empty table (the errors only dead
letters) and market.close wrote `accounts/paper/2021-10-01.json`, which a later run opened from. The
synthetic market here covers 2024-01-02 … 2025-03-31; 2024-10-01 is National Day.
"""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import pytest
from support.clock import published
from support.keys import EVENT_KEY
from typer.testing import CliRunner

from alphamoe.bus.redis import RedisBus
from alphamoe.cli.app import app
from alphamoe.errors import NoTradingDayError
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import MarketClose, MarketOpen
from alphamoe.pipeline.factory import build_stages
from alphamoe.pipeline.run import run_day, with_event_key
from alphamoe.settings import Settings

pytestmark = pytest.mark.integration

HOLIDAY = date(2024, 10, 1)
PAST_THE_DATA = date(2025, 4, 1)  # a Tuesday session after the store's last day (2025-03-31)


@pytest.fixture
def env(redis_url: str, market_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ALPHAMOE_REDIS_URL", redis_url)
    monkeypatch.setenv("ALPHAMOE_DATA", str(market_dir))
    monkeypatch.setenv("ALPHAMOE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("ALPHAMOE_EVENT_KEY", EVENT_KEY.decode())
    return redis_url


def trigger(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["trigger", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.output.split())


@pytest.mark.parametrize(
    ("verb", "day", "why"),
    [
        ("day", HOLIDAY, "2024-10-01 (Tuesday) is not an XSHG session (holiday or weekend): nothing to trade; "
         "the next session is 2024-10-08"),
        ("day", date(2024, 10, 6), "(Sunday) is not an XSHG session"),
        ("day", PAST_THE_DATA, "2025-04-01 is outside the data: the bar store covers 2024-01-02 … 2025-03-31"),
        ("market-close", PAST_THE_DATA, "2025-04-01 is outside the data"),
        ("market-open", PAST_THE_DATA, "2025-04-01 is outside the data"),
    ],
)  # fmt: skip
def test_trigger_when_day_not_traded_then_exit_2_names_why_and_publishes_nothing(
    env: str, verb: str, day: date, why: str
) -> None:
    code, out = trigger(verb, "--date", day.isoformat())
    assert code == 2, out
    assert why in out and "Traceback" not in out
    bus = RedisBus.from_url(env)
    assert published(bus, MarketOpen) == [] and published(bus, MarketClose) == []


def test_trigger_market_close_when_holiday_then_exit_2_names_next_session(env: str) -> None:
    code, out = trigger("market-close", "--date", HOLIDAY.isoformat())
    assert code == 2 and "not an XSHG session" in out and "next session 2024-10-08" in out
    assert published(RedisBus.from_url(env), MarketClose) == []


@pytest.mark.parametrize("day", [HOLIDAY, PAST_THE_DATA])
def test_execute_market_close_when_day_not_traded_then_refused_and_no_snapshot(
    market_dir: Path, tmp_path: Path, day: date
) -> None:
    settings = with_event_key(Settings(data=market_dir, runs=tmp_path / "runs"))
    stages = build_stages(settings, secret=secrets.token_bytes(32))
    close = build_event(MarketClose(trading_day=day, account_id="paper"), run_id="r-untraded", source="/test")
    with pytest.raises(NoTradingDayError, match="no account snapshot written"):
        stages.execute.handle(close)
    assert not (tmp_path / "runs" / "accounts" / "paper" / f"{day.isoformat()}.json").exists()
    assert stages.execute.accounts.snapshots() == {}


def test_run_day_when_holiday_then_refused_before_any_event_and_no_snapshot(market_dir: Path, tmp_path: Path) -> None:
    settings = Settings(data=market_dir, runs=tmp_path / "runs")
    with pytest.raises(NoTradingDayError, match="next session is 2024-10-08"):
        run_day(settings, HOLIDAY)
    assert not (tmp_path / "runs" / "accounts").exists()
    assert not (tmp_path / "runs" / HOLIDAY.isoformat()).exists()


def test_alphamoe_run_when_holiday_then_exit_2(market_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", "--date", HOLIDAY.isoformat(), "--data", str(market_dir)], env={"ALPHAMOE_RUNS": str(tmp_path)}
    )
    assert result.exit_code == 2, result.output
    assert "next session is 2024-10-08" in " ".join(result.output.split())
    assert not (tmp_path / "accounts").exists()
