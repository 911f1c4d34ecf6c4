"""Alerts end to end: real Redis streams → `FabricWatch` → dispatcher → stand-ins of every service over 127.0.0.1.

And the promise that matters most: a dead or hanging service never slows the trading path. Publishing
through the bus is timed alone, beside `alphamoe alerts run` (its own process) sending to a working robot,
and beside one whose robot is a black hole (each paused with SIGSTOP while the other is timed): the black
hole must not cost the producer anything the working service does not.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from support.alerts_load import WECOM_KEY, AlertsProcess, fill, publish_fills, wecom_env
from support.chat_standins import (
    BlackHole,
    DingTalkStandIn,
    FeishuStandIn,
    SmtpStandIn,
    TelegramStandIn,
    WeComStandIn,
)
from support.report_day import CLOSING, OPENING, RUN, day_events
from support.report_day import DAY as REPORT_DAY
from support.risk_factories import make_order

from alphamoe.alerts.config import AlertSettings
from alphamoe.alerts.dispatch import Dispatcher
from alphamoe.alerts.model import Alert, Severity
from alphamoe.alerts.watch import FabricWatch
from alphamoe.alerts.wiring import enabled_channels, report_lookup
from alphamoe.broker.clutch import RedisClutch
from alphamoe.bus.redis import RedisBus
from alphamoe.cluster.supervisor import ready
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import AlertRaised, MarketClose, OrderRejected, RuleViolation
from alphamoe.kv.client import connect
from alphamoe.kv.server import free_port
from alphamoe.report.day import build_report
from alphamoe.report.endofday import build_end_of_day
from alphamoe.report.store import ReportStore
from alphamoe.risk.state import TradingState
from alphamoe.risk.switch import RedisSwitch

pytestmark = pytest.mark.integration
KEY, TOKEN, SECRET = "k-693a91f6", "hook-5e3d587e", "SECc0ffee"


def wait_until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def standins() -> Iterator[dict[str, object]]:
    started: dict[str, object] = {
        "wecom": WeComStandIn(KEY).start(),
        "feishu": FeishuStandIn(TOKEN, SECRET).start(),
        "dingtalk": DingTalkStandIn(TOKEN, SECRET).start(),
        "telegram": TelegramStandIn("123:ABC", "-1001", retry_after=1).start(),
        "email": SmtpStandIn(username="ops", password="pw-123").start(),
    }
    yield started
    for standin in started.values():
        standin.stop()  # type: ignore[attr-defined]


def test_alerts_when_events_on_real_streams_then_every_standin_receives_them(
    redis_url: str, standins: dict[str, object], tmp_path: Path
) -> None:
    wecom, feishu, dingtalk = standins["wecom"], standins["feishu"], standins["dingtalk"]
    telegram, smtp = standins["telegram"], standins["email"]
    assert isinstance(wecom, WeComStandIn) and isinstance(feishu, FeishuStandIn)
    assert isinstance(dingtalk, DingTalkStandIn) and isinstance(telegram, TelegramStandIn)
    assert isinstance(smtp, SmtpStandIn)
    fast = {"enabled": True, "batch_seconds": 1.0, "backoff_s": 0.05}
    settings = AlertSettings.model_validate(
        {
            "wecom": {**fast, "base_url": wecom.url, "key": KEY},
            "feishu": {**fast, "base_url": feishu.url, "token": TOKEN, "secret": SECRET, "min_severity": "warning"},
            "dingtalk": {**fast, "base_url": dingtalk.url, "access_token": TOKEN, "secret": SECRET},
            "telegram": {**fast, "base_url": telegram.url, "token": "123:ABC", "chat_id": "-1001"},
            "email": {
                **fast,
                "host": "127.0.0.1",
                "port": smtp.port,
                "starttls": False,
                "username": "ops",
                "password": "pw-123",
                "sender": "alphamoe@example.com",
                "recipients": ["ops@example.com"],
                "kinds": ["trading_state", "end_of_day"],
            },
            "block_ms": 100,
            "state_every_s": 0.2,
            "health_every_s": 0.2,
            "report_every_s": 0.2,
            "functions": {"risk": f"http://127.0.0.1:{free_port()}"},  # nothing listens: not ready
        }
    )
    store = ReportStore.open(tmp_path / "reports")
    day = build_report(day_events(), CLOSING, run_id=RUN, calendar="XSHG", stage_ms={})
    store.save(build_end_of_day(day, day_events(), opening=OPENING, latency=[], source="in-process"))

    client = connect(redis_url)
    bus = RedisBus(client)
    telegram.throttle_next(1)  # the first Telegram message meets a 429 and is sent again after retry_after
    dispatcher = Dispatcher(enabled_channels(settings)).start()
    watch = FabricWatch(client, dispatcher.submit, settings, reports=report_lookup(store), probe=ready)
    watch.prime()
    stop = threading.Event()
    thread = threading.Thread(target=watch.run, args=(stop,), daemon=True)
    thread.start()
    try:
        events = [fill(1), fill(2, "000001.SZ"), fill(3, "300750.SZ")]
        rejected = OrderRejected(
            trading_day=REPORT_DAY,
            order=make_order(trading_day=REPORT_DAY, account_id="paper"),
            violations=(RuleViolation(code="MAX_NAME_WEIGHT", message="weight 0.12 > cap 0.10"),),
            trading_state="ACTIVE",
        )
        stale = AlertRaised(trading_day=REPORT_DAY, code="STALE_DATA", message="last bar 2025-03-27")
        for payload in [*events, rejected, stale, MarketClose(trading_day=REPORT_DAY, account_id="paper")]:
            bus.publish(build_event(payload, run_id=RUN, source="/test"))
        bus.park("risk answered 500: boom", {"function": "risk", "fields": {"type": "com.alphamoe.order.proposed"}})
        RedisSwitch(client).set("paper", TradingState.HALTED, "drawdown 12% > 10%", at=datetime.now(UTC))

        def all_of(standin: WeComStandIn | DingTalkStandIn, needles: list[str]) -> Callable[[], bool]:
            return lambda: all(any(n in str(b) for b in standin.received) for n in needles)

        needles = ["Filled BUY 600519.SH", "Filled BUY 300750.SZ", "Risk rejected BUY 600000.SH", "STALE_DATA"]
        needles += ["Dead letter from function", "Trading HALTED on paper", "Function risk not ready"]
        needles += ["End of day 2025-03-31: P&L +500.00 CNY"]
        wait_until(all_of(wecom, needles))
        wait_until(all_of(dingtalk, needles))
        wait_until(lambda: any("End of day" in str(b) for b in telegram.received))
        wait_until(
            lambda: (
                {"Trading HALTED on paper", "End of day"}
                <= {
                    key
                    for m in smtp.received
                    for key in ("Trading HALTED on paper", "End of day")
                    if key in m.message.as_string()
                }
            )
        )
        wait_until(lambda: any("Trading HALTED" in str(b) for b in feishu.received))
    finally:
        stop.set()
        thread.join(timeout=5)
        dispatcher.stop(drain_s=1.0)
    # fills were batched: three fills arrived within one window and went out in one WeCom message
    assert sum("Filled BUY" in str(b) for b in wecom.received) == 1
    # Feishu takes warnings and above only; email only the kinds it was given
    assert not any("Filled BUY" in str(b) for b in feishu.received)
    assert not any("Filled BUY" in m.message.as_string() for m in smtp.received)
    assert wecom.refused == feishu.refused == dingtalk.refused == telegram.refused == []
    stats = dispatcher.stats()
    assert stats["telegram"].retries == 1 and stats["telegram"].failed == 0
    assert telegram.requests == len(telegram.received) + 1


@pytest.mark.slow
def test_alerts_when_service_is_a_black_hole_then_publishing_takes_the_same_time(
    redis_url: str, tmp_path: Path
) -> None:
    client = connect(redis_url)
    bus = RedisBus(client)
    healthy, hole = WeComStandIn(WECOM_KEY).start(), BlackHole()
    working = AlertsProcess(redis_url, tmp_path / "working", "working", wecom_env(healthy.url))
    stuck = AlertsProcess(redis_url, tmp_path / "stuck", "stuck", wecom_env(hole.url))
    outputs: list[str] = []
    try:
        working.wait_ready(client)
        stuck.wait_ready(client)
        publish_fills(bus, 0, 50)  # warm the connection and the script cache
        count, n = 300, 1000
        times: dict[str, list[float]] = {"alone": [], "working": [], "black hole": []}
        for _ in range(3):
            for condition, running in (("alone", None), ("working", working), ("black hole", stuck)):
                for process in (working, stuck):
                    if process is running:
                        process.resume()
                        process.wait_caught_up(client)  # what it missed while paused is read first
                    else:
                        process.pause()
                times[condition].append(publish_fills(bus, n, count))
                n += count
        for process in (working, stuck):
            process.resume()
            process.wait_caught_up(client)  # the stuck one read every fill although every send hung
    finally:
        working.terminate()
        stuck.terminate()
        outputs = [working.output(), stuck.output()]
        healthy.stop()
        hole.close()
    print({k: [f"{t:.3f}" for t in v] for k, v in times.items()})
    best = {k: min(v) for k, v in times.items()}
    assert best["black hole"] <= 1.5 * best["working"] + 0.05, times
    assert best["black hole"] <= 1.5 * best["alone"] + 0.1, times
    assert any("Filled BUY 600519.SH" in str(b) for b in healthy.received)
    # it counted what the black hole swallowed (logged, never raised) and kept reading
    counted = r"wecom: 0 alerts in 0 messages, [1-9]\d* retries, \d+ failed, [1-9]\d* dropped"
    assert re.search(counted, outputs[1]), outputs[1][-500:]
    assert all(WECOM_KEY not in out for out in outputs)


class Collected(list[Alert]):
    """The dispatcher's place in these tests: what the watcher submitted, in order."""

    def submit(self, alert: Alert) -> None:
        self.append(alert)


def test_watch_when_first_started_then_history_skipped_and_restart_resumes_once(redis_url: str) -> None:
    client = connect(redis_url)
    bus = RedisBus(client)
    bus.publish(build_event(fill(1), run_id=RUN, source="/execute"))  # before the watcher ever ran: history
    first = Collected()
    watch = FabricWatch(client, first.submit, AlertSettings(block_ms=10))
    watch.prime()
    bus.publish(build_event(fill(2), run_id=RUN, source="/execute"))
    assert watch.poll() == 1
    assert [a.title for a in first] == ["Filled BUY 600519.SH 100 @ 1,700.00"] and "c-2" in first[0].lines[0]
    bus.publish(build_event(fill(3), run_id=RUN, source="/execute"))  # while it is down
    again = Collected()
    restarted = FabricWatch(client, again.submit, AlertSettings(block_ms=10))
    assert restarted.poll() == 1 and "c-3" in again[0].lines[0]
    other = Collected()  # another instance keeps its own cursors: it starts at the end
    assert FabricWatch(client, other.submit, AlertSettings(block_ms=10, instance="risk-desk")).poll() == 0


def test_watch_when_switch_changes_then_one_alert_per_change_and_active_start_is_quiet(redis_url: str) -> None:
    client = connect(redis_url)
    switch = RedisSwitch(client)
    switch.set("quiet", TradingState.ACTIVE, "", at=datetime(2025, 3, 31, 1, 0, tzinfo=UTC))
    switch.set("acc", TradingState.HALTED, "drawdown 12% > 10%", at=datetime(2025, 3, 31, 1, 0, tzinfo=UTC))
    seen = Collected()
    watch = FabricWatch(client, seen.submit, AlertSettings())
    assert watch.check_states() == 1  # a halt found at start is told; an ACTIVE account is not
    assert watch.check_states() == 0
    switch.set("acc", TradingState.ACTIVE, "resumed by ann", at=datetime(2025, 3, 31, 2, 0, tzinfo=UTC))
    assert watch.check_states() == 1
    assert [(a.title, a.severity) for a in seen] == [
        ("Trading HALTED on acc", Severity.CRITICAL),
        ("Trading ACTIVE on acc", Severity.INFO),
    ]
    assert seen[1].lines[-1] == "was HALTED"
    clutch = RedisClutch(client)
    clutch.set("acc", False, "watching only", at=datetime(2025, 3, 31, 2, 5, tzinfo=UTC))
    assert watch.check_states() == 1
    clutch.set("acc", True, "send again", at=datetime(2025, 3, 31, 2, 9, tzinfo=UTC))
    assert watch.check_states() == 1
    assert [(a.title, a.severity) for a in seen[2:]] == [
        ("Clutch DISENGAGED on acc: execute parks every approved order", Severity.WARNING),
        ("Clutch ENGAGED on acc: approved orders go to the broker", Severity.INFO),
    ]


def test_watch_when_function_fails_probes_then_alert_once_after_threshold_and_once_when_back() -> None:
    answers = iter([True, False, False, False, False, True, True])
    seen = Collected()
    watch = FabricWatch(
        redis.Redis(),  # not used by the probe
        seen.submit,
        AlertSettings(unready_after=2),
        functions={"risk": "http://127.0.0.1:9"},
        probe=lambda url: next(answers),
    )
    for _ in range(7):
        watch.check_health()
    assert [a.title for a in seen] == ["Function risk not ready", "Function risk ready again"]
