"""Telegram Bot API: `POST /bot<token>/sendMessage` with `chat_id`, `text` and `parse_mode=HTML`.

Answers are `{"ok": true, "result": …}` or `{"ok": false, "error_code": …, "description": …}`; a 429
carries `parameters.retry_after` (seconds), which the sender waits out. Text is 4,096 characters at most,
and in HTML mode `<`, `>` and `&` outside tags must be escaped or the message is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import httpx

from alphamoe.alerts.channels.base import RateLimitedError, RefusedError, post_json, scrub
from alphamoe.alerts.config import ChannelName, TelegramSettings
from alphamoe.alerts.model import Alert
from alphamoe.alerts.render import Style, fit, headline
from alphamoe.errors import ConfigurationError

MAX_CHARS = 4096


def render(alerts: Sequence[Alert], chat_id: str) -> dict[str, Any]:
    """Return the sendMessage parameters for a batch."""
    head = f"<b>{escape(headline(alerts))}</b>\n\n" if len(alerts) > 1 else ""
    text = head + fit(alerts, Style.HTML, MAX_CHARS - len(head))
    return {"chat_id": chat_id, "text": text, "parse_mode": "HTML", "disable_web_page_preview": True}


class TelegramChannel:
    name = ChannelName.TELEGRAM

    def __init__(self, settings: TelegramSettings, client: httpx.Client | None = None) -> None:
        if settings.token is None or not settings.chat_id:
            raise ConfigurationError(
                "Telegram needs ALPHAMOE_ALERTS__TELEGRAM__TOKEN and ALPHAMOE_ALERTS__TELEGRAM__CHAT_ID"
            )
        self.settings, self.token, self.chat_id = settings, settings.token, settings.chat_id
        self.client = client or httpx.Client(timeout=settings.timeout_s)

    def send(self, alerts: Sequence[Alert]) -> None:
        url = f"{self.settings.base_url.rstrip('/')}/bot{self.token.get_secret_value()}/sendMessage"
        answer = post_json(self.client, "Telegram", url, render(alerts, self.chat_id))
        if answer.status == 200 and answer.body.get("ok") is True:
            return
        description = scrub(str(answer.body.get("description", "")), [self.token])
        if answer.status == 429 or answer.body.get("error_code") == 429:
            parameters = answer.body.get("parameters") or {}
            wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
            raise RateLimitedError(
                f"Telegram throttled the bot: {description}",
                retry_after=float(wait) if isinstance(wait, int | float) else answer.retry_after(),
            )
        raise RefusedError(f"Telegram refused the message: HTTP {answer.status} {description}")

    def close(self) -> None:
        self.client.close()
