"""Events, dead letters, kill-switch states and readiness put into words an operator reads."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError
from support.risk_factories import make_order

from alphamoe.alerts.config import AlertSettings
from alphamoe.alerts.model import AlertKind, Severity
from alphamoe.alerts.sources import entry_time, from_dead_letter, from_event, from_readiness, from_state_change
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import AlertRaised, DataReady, OrderFilled, OrderRejected, RuleViolation, ScanCompleted
from alphamoe.risk.state import TradingState, TradingStatus
from alphamoe.settings import Settings
from alphamoe.types import OrderStatus, Side

DAY = date(2024, 3, 1)
AT = datetime(2024, 3, 1, 1, 31, tzinfo=UTC)


def test_fill_when_event_then_info_alert_with_price_quantity_and_fees() -> None:
    filled = OrderFilled(
        trading_day=DAY,
        order_id="o-1",
        client_order_id="c-1",
        account_id="acc",
        symbol="600519.SH",
        side=Side.BUY,
        status=OrderStatus.FILLED,
        fill_quantity=1200,
        fill_price=Decimal("1700.50"),
        fees=Decimal("5.10"),
        cumulative_quantity=1200,
    )
    alert = from_event(build_event(filled, run_id="r", source="/t"), AT)
    assert alert is not None
    assert (alert.kind, alert.severity, alert.account, alert.day) == (AlertKind.FILL, Severity.INFO, "acc", DAY)
    assert alert.title == "Filled BUY 600519.SH 1,200 @ 1,700.50"
    assert "value 2,040,600.00 CNY, fees 5.10 CNY" in alert.lines


def test_rejection_when_event_then_warning_with_every_failed_rule() -> None:
    rejected = OrderRejected(
        trading_day=DAY,
        order=make_order(trading_day=DAY),
        violations=(
            RuleViolation(code="MAX_NAME_WEIGHT", message="weight 0.12 > cap 0.10"),
            RuleViolation(code="PRICE_BAND", message="10.20 above limit-up 10.10"),
        ),
        trading_state="ACTIVE",
    )
    alert = from_event(build_event(rejected, run_id="r", source="/t"), AT)
    assert alert is not None and alert.severity is Severity.WARNING
    assert alert.title == "Risk rejected BUY 600000.SH 1,000 @ 10.20"
    assert alert.lines[:2] == ("MAX_NAME_WEIGHT: weight 0.12 > cap 0.10", "PRICE_BAND: 10.20 above limit-up 10.10")


def test_stale_data_when_raised_then_critical_and_update_failure_warning() -> None:
    stale = AlertRaised(trading_day=DAY, code="STALE_DATA", message="last bar 2024-02-28, expected 2024-02-29")
    failed = AlertRaised(trading_day=DAY, code="DATA_UPDATE_FAILED", message="tushare: 3 attempts failed")
    stale_alert = from_event(build_event(stale, run_id="r", source="/t"), AT)
    failed_alert = from_event(build_event(failed, run_id="r", source="/t"), AT)
    assert stale_alert is not None and stale_alert.severity is Severity.CRITICAL
    assert failed_alert is not None and failed_alert.severity is Severity.WARNING


def test_evidence_failure_when_raised_then_titled_as_evidence_not_as_the_bars() -> None:
    raised = AlertRaised(trading_day=DAY, code="EVIDENCE_UPDATE_FAILED", message="tushare news: 500")
    alert = from_event(build_event(raised, run_id="r", source="/t"), AT)
    assert alert is not None and alert.severity is Severity.WARNING
    assert alert.title == "Evening evidence fetch failed (the bars are in) (EVIDENCE_UPDATE_FAILED)"


def test_data_ready_when_sessions_quarantined_then_warning_else_nothing() -> None:
    quarantined = DataReady(
        trading_day=DAY,
        source="tushare",
        admitted=[DAY],
        quarantined={"2024-03-01": ["12 rows: close <= 0"]},
        attempts=1,
    )
    clean = DataReady(trading_day=DAY, source="tushare", admitted=[DAY], attempts=1)
    alert = from_event(build_event(quarantined, run_id="r", source="/t"), AT)
    assert alert is not None and alert.lines == ("2024-03-01: 12 rows: close <= 0",)
    assert from_event(build_event(clean, run_id="r", source="/t"), AT) is None


def test_other_events_when_seen_then_no_alert() -> None:
    scan = ScanCompleted(trading_day=DAY, strategy="s", universe_size=10, candidates=1, data_until=DAY)
    assert from_event(build_event(scan, run_id="r", source="/t"), AT) is None


def test_dead_letter_when_parked_by_bridge_then_names_event_function_and_reason() -> None:
    raw = {
        "function": "risk",
        "stream": "s",
        "entry_id": "1-0",
        "fields": {"type": "x.order", "tradingday": "2024-03-01"},
    }
    alert = from_dead_letter(
        "1709256660000-0", {"reason": "risk answered 500", "source": "bridge", "raw": json.dumps(raw)}
    )
    assert alert.title == "Dead letter from bridge"
    assert alert.lines[:3] == ("risk answered 500", "event x.order of 2024-03-01", "for function risk")
    assert alert.at == entry_time("1709256660000-0") == datetime(2024, 3, 1, 1, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "severity"),
    [
        (TradingState.HALTED, Severity.CRITICAL),
        (TradingState.REDUCING, Severity.WARNING),
        (TradingState.ACTIVE, Severity.INFO),
    ],
)
def test_state_change_when_set_then_severity_follows_state(state: TradingState, severity: Severity) -> None:
    after = TradingStatus(state, "by hand: news", "2024-03-01T09:40:00+08:00")
    alert = from_state_change("acc", TradingStatus(), after, AT)
    assert alert.severity is severity
    assert alert.lines == (after.describe(), "was ACTIVE")


def test_readiness_when_lost_then_critical_and_names_url() -> None:
    alert = from_readiness("risk", "http://127.0.0.1:9", False, AT, failures=2)
    assert alert.severity is Severity.CRITICAL
    assert "http://127.0.0.1:9/health/readiness" in alert.lines[0]


def test_settings_when_channel_enabled_without_key_then_error_names_env_variable() -> None:
    with pytest.raises(ValidationError, match="ALPHAMOE_ALERTS__WECOM__ENABLED=true needs ALPHAMOE_ALERTS__WECOM__KEY"):
        AlertSettings.model_validate({"wecom": {"enabled": True}})


def test_settings_when_from_environment_then_nested_and_secret_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAMOE_ALERTS__DINGTALK__ENABLED", "true")
    monkeypatch.setenv("ALPHAMOE_ALERTS__DINGTALK__ACCESS_TOKEN", "tok-123")
    monkeypatch.setenv("ALPHAMOE_ALERTS__DINGTALK__SECRET", "SECabc")
    monkeypatch.setenv("ALPHAMOE_ALERTS__DINGTALK__MIN_SEVERITY", "warning")
    monkeypatch.setenv("ALPHAMOE_ALERTS__DINGTALK__KINDS", '["trading_state", "rejection"]')
    alerts = Settings().alerts
    assert [c.value for c in alerts.enabled()] == ["dingtalk"]
    assert alerts.dingtalk.min_severity is Severity.WARNING
    assert alerts.dingtalk.kinds == (AlertKind.TRADING_STATE, AlertKind.REJECTION)
    assert "SECabc" not in repr(alerts) and "tok-123" not in repr(alerts)
