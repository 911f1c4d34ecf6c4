"""Alerts as text: one block per alert in markdown, plain text or Telegram HTML, fitted to a service's size limit.

Every service caps a message (WeCom 4,096 bytes of markdown, Telegram 4,096 characters, …); a batch that
does not fit keeps its first alerts and says how many it left out, so nothing is cut silently.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Sequence
from enum import StrEnum
from zoneinfo import ZoneInfo

from alphamoe.alerts.model import Alert, Severity
from alphamoe.errors import clip

EXCHANGE_TZ = ZoneInfo("Asia/Shanghai")
MAX_LINES = 12
"""Detail lines of one alert at most; the rest are counted."""
LINE_CHARS = 240
"""A detail line is cut to this (a dead letter's reason may quote a whole refused request)."""
_MARK = {Severity.INFO: "", Severity.WARNING: "[WARNING] ", Severity.CRITICAL: "[CRITICAL] "}


class Style(StrEnum):
    MARKDOWN = "markdown"  # WeCom, DingTalk, Feishu lark_md
    PLAIN = "plain"  # email
    HTML = "html"  # Telegram parse_mode=HTML


def top_severity(alerts: Sequence[Alert]) -> Severity:
    return max((a.severity for a in alerts), key=lambda s: s.rank)


def headline(alerts: Sequence[Alert]) -> str:
    """Return the message's one-line title: the alert's own, or a count by kind for a batch."""
    if len(alerts) == 1:
        return _MARK[alerts[0].severity] + alerts[0].title
    counts = Counter(a.kind.value.replace("_", " ") for a in alerts)
    kinds = ", ".join(f"{n} {kind}" for kind, n in counts.most_common())
    return f"{_MARK[top_severity(alerts)]}alphamoe: {len(alerts)} alerts ({kinds})"


def context(alert: Alert) -> str:
    """Return `account · day · HH:MM:SS` (exchange time) of an alert."""
    parts = [alert.account or "", alert.day.isoformat() if alert.day else ""]
    parts.append(alert.at.astimezone(EXCHANGE_TZ).strftime("%H:%M:%S CST"))
    return " · ".join(p for p in parts if p)


def _lines(alert: Alert) -> list[str]:
    shown = [clip(line, LINE_CHARS) for line in alert.lines[:MAX_LINES]]
    if len(alert.lines) > MAX_LINES:
        shown.append(f"… {len(alert.lines) - MAX_LINES} more lines")
    return shown


def block(alert: Alert, style: Style, *, newline: str = "\n") -> str:
    """Return one alert as a block of `style`; `newline` is DingTalk's paragraph break in markdown."""
    title = _MARK[alert.severity] + alert.title
    if style is Style.HTML:
        rows = [f"<b>{html.escape(title)}</b>", f"<i>{html.escape(context(alert))}</i>"]
        rows += [html.escape(line) for line in _lines(alert)]
    elif style is Style.MARKDOWN:
        rows = [f"**{title}**", f"> {context(alert)}"] + [f"- {line}" for line in _lines(alert)]
    else:
        rows = [title, f"  {context(alert)}"] + [f"  - {line}" for line in _lines(alert)]
    return newline.join(rows)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def fit(
    alerts: Sequence[Alert],
    style: Style,
    budget: int,
    *,
    measure: Callable[[str], int] = len,
    newline: str = "\n",
) -> str:
    """Return the alerts' blocks joined, as many as fit in `budget`, then how many were left out."""
    separator = newline * 2
    text = ""
    for shown, alert in enumerate(alerts):
        piece = (separator if text else "") + block(alert, style, newline=newline)
        left = len(alerts) - shown - 1
        tail = f"{separator}… and {left} more alerts" if left else ""
        if measure(text + piece + tail) > budget:
            if shown == 0:  # not even one alert fits whole: keep its head, as plain text
                return _cut(alert, style, budget - measure(tail), measure) + tail
            return text + f"{separator}… and {left + 1} more alerts"
        text += piece
    return text


def _cut(alert: Alert, style: Style, budget: int, measure: Callable[[str], int]) -> str:
    plain = block(alert, Style.PLAIN)
    escape: Callable[[str], str] = html.escape if style is Style.HTML else str
    while plain and measure(escape(plain) + "…") > budget:
        plain = plain[: int(len(plain) * 0.9)]
    return escape(plain) + "…"
