"""Fitting alerts into a service's size limit: nothing cut silently, Telegram HTML still parses after a cut."""

from __future__ import annotations

from datetime import UTC, datetime

from support.chat_standins import telegram_html_error

from alphamoe.alerts.model import Alert, AlertKind, Severity
from alphamoe.alerts.render import Style, fit, headline

AT = datetime(2024, 3, 1, 1, 30, tzinfo=UTC)


def dead_letter(n: int, reason: str) -> Alert:
    return Alert(
        kind=AlertKind.DEAD_LETTER, severity=Severity.WARNING, at=AT, title=f"Dead letter {n}", lines=(reason,) * 12
    )


def test_fit_when_one_alert_exceeds_budget_then_head_kept_and_html_still_valid() -> None:
    text = fit([dead_letter(0, "<script>&" * 40), dead_letter(1, "x")], Style.HTML, 500)
    assert len(text) <= 500
    assert text.endswith("… and 1 more alerts")
    assert telegram_html_error(text) == ""


def test_fit_when_lines_are_long_then_each_clipped_with_count() -> None:
    text = fit([dead_letter(0, "y" * 1000)], Style.PLAIN, 100_000)
    assert "… (760 more chars)" in text


def test_headline_when_batch_then_counts_kinds_and_marks_top_severity() -> None:
    fill = Alert(kind=AlertKind.FILL, severity=Severity.INFO, at=AT, title="Filled")
    assert headline([fill, fill, dead_letter(0, "r")]) == "[WARNING] alphamoe: 3 alerts (2 fill, 1 dead letter)"
    assert headline([fill]) == "Filled"
