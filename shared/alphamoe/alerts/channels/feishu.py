"""飞书 (Feishu/Lark) custom bot: interactive cards to `POST /open-apis/bot/v2/hook/<token>`, signed.

Signing (签名校验): the string `f"{timestamp}\\n{secret}"` is the HMAC-SHA256 *key*, the message is empty,
and the digest is base64-encoded; `timestamp` (seconds) and `sign` go in the JSON body, and the service
refuses a timestamp more than an hour off (code 19021). Success is `code` 0 (older bots answer
`StatusCode` 0); 9499 and 11232 are its throttling codes (100 a minute, 5 a second per bot).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from alphamoe.alerts.channels.base import RateLimitedError, RefusedError, post_json, scrub
from alphamoe.alerts.config import ChannelName, FeishuSettings
from alphamoe.alerts.model import Alert, Severity
from alphamoe.alerts.render import Style, fit, headline, top_severity, utf8_len
from alphamoe.errors import ConfigurationError

MAX_BYTES = 18_000
"""Card markdown budget: the service takes request bodies up to 20 KB."""
RATE_LIMITED = frozenset({9499, 11232})
PATH = "/open-apis/bot/v2/hook/"
_TEMPLATE = {Severity.INFO: "blue", Severity.WARNING: "orange", Severity.CRITICAL: "red"}


def sign(timestamp: int, secret: str) -> str:
    """Return Feishu's signature of `timestamp` (seconds): base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", b""))."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def render(alerts: Sequence[Alert]) -> dict[str, Any]:
    """Return the card message for a batch (header coloured by the highest severity)."""
    return {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {
                "title": {"tag": "plain_text", "content": headline(alerts)},
                "template": _TEMPLATE[top_severity(alerts)],
            },
            "elements": [
                {
                    "tag": "div",
                    "text": {"tag": "lark_md", "content": fit(alerts, Style.MARKDOWN, MAX_BYTES, measure=utf8_len)},
                },
                {"tag": "note", "elements": [{"tag": "plain_text", "content": "alphamoe"}]},  # a keyword bot's word
            ],
        },
    }


class FeishuChannel:
    name = ChannelName.FEISHU

    def __init__(
        self, settings: FeishuSettings, client: httpx.Client | None = None, *, now: Callable[[], float] = time.time
    ) -> None:
        if settings.token is None:
            raise ConfigurationError("Feishu needs ALPHAMOE_ALERTS__FEISHU__TOKEN")
        self.settings, self.token, self.now = settings, settings.token, now
        self.client = client or httpx.Client(timeout=settings.timeout_s)

    def send(self, alerts: Sequence[Alert]) -> None:
        body = render(alerts)
        if self.settings.secret is not None:
            timestamp = int(self.now())
            body = {
                "timestamp": str(timestamp),
                "sign": sign(timestamp, self.settings.secret.get_secret_value()),
                **body,
            }
        url = self.settings.base_url.rstrip("/") + PATH + self.token.get_secret_value()
        answer = post_json(self.client, "Feishu", url, body)
        code = answer.body.get("code", answer.body.get("StatusCode"))
        message = scrub(
            str(answer.body.get("msg", answer.body.get("StatusMessage", ""))), [self.token, self.settings.secret]
        )
        if answer.status == 200 and code == 0:
            return
        if code in RATE_LIMITED or answer.status == 429:
            raise RateLimitedError(f"Feishu throttled the bot: code {code} {message}", retry_after=answer.retry_after())
        raise RefusedError(f"Feishu refused the message: HTTP {answer.status}, code {code} {message}")

    def close(self) -> None:
        self.client.close()
