"""The function runtime: keys checked at start, the Stage protocol called (never probed), one parse per event,
and a run's roots accepted only with an issuer's run token."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from support.keys import APPROVAL_SECRET, EVENT_KEY

from alphamoe.bus.memory import InMemoryBus
from alphamoe.errors import ConfigurationError
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import MarketOpen, ScanCompleted
from alphamoe.functions.guard import ENVELOPE, Message
from alphamoe.functions.runtime import StageFunction
from alphamoe.pipeline.stages.common import Outputs
from alphamoe.pipeline.stages.protocol import BaseStage
from alphamoe.security import runs
from alphamoe.settings import Settings

DAY = date(2025, 3, 3)
TOKEN = runs.issue(EVENT_KEY, "r1", DAY, runs.RunMode.SIMULATION)
OPEN = build_event(MarketOpen(trading_day=DAY, account_id="paper"), run_id="r1", source="/t", run_token=TOKEN)
DONE = build_event(
    ScanCompleted(trading_day=DAY, candidates=0, strategy="breakout", universe_size=1, data_until=DAY),
    run_id="r1",
    source="/t",
    causation_id=OPEN.id,
)


@dataclass
class RecordingStage(BaseStage):
    """A stage that records what the runtime called; its expire() yields `expiring` once."""

    name: str = "scan"
    calls: list[str] = field(default_factory=list)
    handled: list[Envelope[Any]] = field(default_factory=list)
    expiring: Outputs = field(default_factory=list)

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        self.handled.append(envelope)
        return [DONE]

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")

    def warm(self) -> None:
        self.calls.append("warm")

    def expire(self, now: float | None = None) -> Outputs:
        self.calls.append("expire")
        outputs, self.expiring = self.expiring, []
        return outputs


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> pytest.MonkeyPatch:
    for name in ("ALPHAMOE_REDIS_URL", "ALPHAMOE_EVENT_KEY", "ALPHAMOE_APPROVAL_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALPHAMOE_DATA", str(tmp_path))
    monkeypatch.setenv("ALPHAMOE_EVENT_KEY", EVENT_KEY.decode())
    monkeypatch.setenv("ALPHAMOE_APPROVAL_SECRET", APPROVAL_SECRET.decode())
    return monkeypatch


def _function(stage: RecordingStage, name: str = "scan") -> StageFunction:
    def build(name: str, settings: Settings, *, secret: bytes) -> RecordingStage:
        return stage

    return StageFunction(name, build=build, expire_every_s=0.01)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (None, "is not set"),
        ("k" * 31, "is 31 bytes"),
        ("replace-with-a-random-event-key-of-32-bytes", "is still a placeholder"),
    ],
    ids=["missing", "short", "placeholder"],
)
@pytest.mark.parametrize("name", ["scan", "route", "size", "risk", "execute"])
def test_start_when_event_key_missing_short_or_placeholder_then_refuses(
    keys: pytest.MonkeyPatch, name: str, value: str | None, why: str
) -> None:
    if value is None:
        keys.delenv("ALPHAMOE_EVENT_KEY")
    else:
        keys.setenv("ALPHAMOE_EVENT_KEY", value)
    with pytest.raises(ConfigurationError, match=f"ALPHAMOE_EVENT_KEY {why}"):
        _function(RecordingStage(), name).start({})


@pytest.mark.parametrize(
    "value", [None, "s", "changeme-changeme-changeme-changeme"], ids=["missing", "1 byte", "placeholder"]
)
@pytest.mark.parametrize("name", ["risk", "execute"])
def test_start_when_approval_secret_weak_then_risk_and_execute_refuse(
    keys: pytest.MonkeyPatch, name: str, value: str | None
) -> None:
    if value is None:
        keys.delenv("ALPHAMOE_APPROVAL_SECRET")
    else:
        keys.setenv("ALPHAMOE_APPROVAL_SECRET", value)
    with pytest.raises(ConfigurationError, match="ALPHAMOE_APPROVAL_SECRET"):
        _function(RecordingStage(), name).start({})


def test_start_when_scan_has_no_approval_secret_then_starts(keys: pytest.MonkeyPatch) -> None:
    keys.delenv("ALPHAMOE_APPROVAL_SECRET")
    function = _function(RecordingStage())
    function.start({})
    assert function.ready() == (True, "OK")


def test_runtime_when_started_and_stopped_then_calls_every_stage_hook_and_expires_on_its_timer(
    keys: pytest.MonkeyPatch,
) -> None:
    stage = RecordingStage(expiring=[DONE])
    function = _function(stage)

    async def lifetime() -> None:
        function.start({})
        for _ in range(500):
            await asyncio.sleep(0.01)
            if stage.calls.count("expire") >= 2:
                break
        function.stop()

    asyncio.run(lifetime())
    assert stage.calls[:2] == ["warm", "start"] and stage.calls[-1] == "stop"
    assert stage.calls.count("expire") >= 2
    assert isinstance(function.bus, InMemoryBus) and function.bus.log == [DONE]  # what expire() sent went out
    assert function.ready() == (False, "scan: not started")


def _handle(function: StageFunction, scope: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    answer: dict[str, Any] = {}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] = message.get("body", b"")

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    asyncio.run(function.handle({"type": "http", "headers": [], **scope}, receive, send))
    body = answer.get("body", b"")
    return answer["status"], json.loads(body) if body.startswith(b"{") else {}


def test_handle_when_guard_kept_the_envelope_then_the_stage_gets_it_without_parsing_again(
    keys: pytest.MonkeyPatch,
) -> None:
    stage = RecordingStage()
    function = _function(stage)
    function.start({})
    status, _ = _handle(function, {ENVELOPE: OPEN})  # no func-python "event" in the scope: nothing to parse
    assert status == 200 and stage.handled[0] is OPEN


def test_handle_when_root_event_has_no_run_token_then_401_and_not_handled_nor_parked(
    keys: pytest.MonkeyPatch,
) -> None:
    stage = RecordingStage()
    function = _function(stage)
    function.start({})
    forged = build_event(MarketOpen(trading_day=DAY, account_id="paper"), run_id="r2", source="/t")
    wrong_day = build_event(MarketOpen(trading_day=date(2025, 3, 4), account_id="paper"), run_id="r1", source="/t")
    for event in (forged, build_event(wrong_day.payload, run_id="r1", source="/t", run_token=TOKEN)):
        status, body = _handle(function, {ENVELOPE: event})
        assert (status, body["field"]) == (401, "runtoken")
    assert stage.handled == [] and isinstance(function.bus, InMemoryBus) and function.bus.dead_letters == []


def test_handle_when_served_without_the_guard_then_401(keys: pytest.MonkeyPatch) -> None:
    stage = RecordingStage()
    function = _function(stage)
    function.start({})
    status, _ = _handle(function, {})
    assert status == 401 and stage.handled == []
