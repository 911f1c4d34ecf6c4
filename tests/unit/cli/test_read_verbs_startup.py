"""`alphamoe status`, `risk status`, `report` and `explain` do their work without the heavy stacks (issue 18).

Each ran on a recorded day (real Redis, a run's reports and decision record) imported every section of the
settings (~0.15 s: alerts, console, broker, …), and `report` pandas (through the clock), `explain` LangGraph and
httpx (through the route stage). They read a finished day: the core settings and the stores are enough. The time
is measured by benchmarks/bench_cli.py; here, what each verb imports, and that its output did not change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis
from pydantic import ValidationError
from support.cli_probe import imported
from support.recorded_day import SWITCH_REASON, RecordedDay, record_day

from alphamoe.kv.server import LocalRedis
from alphamoe.settings import Settings
from alphamoe.settings_core import CoreSettings

NOT_NEEDED = ("langgraph", "langchain_core", "openai", "httpx", "boto3", "numba", "pandas", "numpy", "pyarrow")
"""Libraries none of these verbs needs to read a finished day."""
EXPLAIN_NOT_NEEDED = ("langgraph", "langchain_core", "openai", "httpx", "boto3")
"""`explain` computes the experts' track records from the bars (pandas): the router and the LLM client stay out."""
OTHER_SECTIONS = ("alphamoe.settings", "alphamoe.alerts.config", "alphamoe.console.config", "alphamoe.broker.config")
"""The whole `Settings` and sections of it that none of these verbs reads."""


@pytest.fixture(scope="module")
def recorded(market_dir: Path, redis_server: LocalRedis, tmp_path_factory: pytest.TempPathFactory) -> RecordedDay:
    redis.Redis.from_url(redis_server.admin_url).flushdb()
    return record_day(market_dir, tmp_path_factory.mktemp("runs"), redis_server.url)


def _env(recorded: RecordedDay) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALPHAMOE_")}
    return env | recorded.env


def _shown(recorded: RecordedDay, verb: str) -> list[str]:
    return {
        "status": ["streams", f"day {recorded.day}: "],
        "risk status": ["REDUCING", SWITCH_REASON],
        "report": [f"end of day {recorded.day}", recorded.run_id],
        "explain": [recorded.symbol, recorded.run_id],
    }[verb]


@pytest.mark.parametrize("verb", ["status", "risk status", "report", "explain"])
def test_read_verb_when_run_on_a_recorded_day_then_no_other_settings_and_no_heavy_library(
    recorded: RecordedDay, verb: str
) -> None:
    done, modules = imported(recorded.verbs()[verb], _env(recorded))
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(text in done.stdout for text in _shown(recorded, verb)), done.stdout
    heavy = EXPLAIN_NOT_NEEDED if verb == "explain" else NOT_NEEDED
    assert sorted(m for m in heavy if m in modules) == [], f"`alphamoe {verb}` imported heavy libraries"
    assert sorted(m for m in OTHER_SECTIONS if m in modules) == []


def test_core_settings_when_read_from_the_environment_then_equal_to_the_full_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in {
        "ALPHAMOE_DATA": "s3://bucket-a/market",
        "ALPHAMOE_REDIS_URL": "redis://127.0.0.1:1/0",
        "ALPHAMOE_ACCOUNT_ID": "acct-2",
        "ALPHAMOE_FABRIC__MAX_ATTEMPTS": "3",
        "ALPHAMOE_CLOCK__REPORT_STORE": str(tmp_path / "reports"),
        "ALPHAMOE_DECISIONS": str(tmp_path / "decisions"),
        "ALPHAMOE_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
    }.items():
        monkeypatch.setenv(name, value)
    core, full = CoreSettings(), Settings()
    assert {f: getattr(core, f) for f in CoreSettings.model_fields} == {
        f: getattr(full, f) for f in CoreSettings.model_fields
    }
    assert core.runs_dir == full.runs_dir and core.fabric.max_attempts == 3


def test_core_settings_when_a_core_setting_is_bad_then_the_same_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALPHAMOE_FABRIC__STREAM_MAXLEN", "5")
    errors = []
    for model in (CoreSettings, Settings):
        with pytest.raises(ValidationError) as caught:
            model()
        errors.append(str(caught.value))
    assert errors[0] == errors[1] and "validation error for Settings\nfabric.stream_maxlen" in errors[0]
