"""钉钉 (DingTalk) custom robot: markdown to `POST /robot/send?access_token=…&timestamp=…&sign=…`.

Signing (加签): HMAC-SHA256 with the secret as key over `f"{timestamp}\\n{secret}"` (timestamp in ms),
base64-encoded, then URL-encoded into the query string (here by the HTTP client's query encoding: once).
The service answers `{"errcode": 0, "errmsg": "ok"}`; 310000 is a failed signature or keyword check,
130101 "send too fast" (20 messages a minute per robot). Markdown paragraphs need a blank line between them.
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
from alphamoe.alerts.config import ChannelName, DingTalkSettings
from alphamoe.alerts.model import Alert
from alphamoe.alerts.render import Style, fit, headline, utf8_len
from alphamoe.errors import ConfigurationError

MAX_BYTES = 18_000
"""Markdown text budget: the robot takes 20,000 bytes."""
RATE_LIMITED = frozenset({130101})
FOOTER = "###### alphamoe"
"""Every message carries the word `alphamoe`: the robot's 自定义关键词 security can use it as its keyword."""
PATH = "/robot/send"


def sign(timestamp_ms: int, secret: str) -> str:
    """Return DingTalk's signature before URL encoding: base64(HMAC-SHA256(secret, f"{timestamp_ms}\\n{secret}"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def render(alerts: Sequence[Alert]) -> dict[str, Any]:
    """Return the robot's markdown message for a batch (`title` shows in the notification)."""
    title = headline(alerts)
    body = fit(alerts, Style.MARKDOWN, MAX_BYTES - 200, measure=utf8_len, newline="\n\n")
    text = f"### {title}\n\n{body}\n\n{FOOTER}"
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


class DingTalkChannel:
    name = ChannelName.DINGTALK

    def __init__(
        self, settings: DingTalkSettings, client: httpx.Client | None = None, *, now: Callable[[], float] = time.time
    ) -> None:
        if settings.access_token is None:
            raise ConfigurationError("DingTalk needs ALPHAMOE_ALERTS__DINGTALK__ACCESS_TOKEN")
        self.settings, self.token, self.now = settings, settings.access_token, now
        self.client = client or httpx.Client(timeout=settings.timeout_s)

    def send(self, alerts: Sequence[Alert]) -> None:
        params = {"access_token": self.token.get_secret_value()}
        if self.settings.secret is not None:
            timestamp = int(self.now() * 1000)
            params |= {"timestamp": str(timestamp), "sign": sign(timestamp, self.settings.secret.get_secret_value())}
        url = self.settings.base_url.rstrip("/") + PATH
        answer = post_json(self.client, "DingTalk", url, render(alerts), params=params)
        code = answer.body.get("errcode")
        message = scrub(str(answer.body.get("errmsg", "")), [self.token, self.settings.secret])
        if answer.status == 200 and code == 0:
            return
        if code in RATE_LIMITED or answer.status == 429:
            raise RateLimitedError(
                f"DingTalk throttled the robot: errcode {code} {message}", retry_after=answer.retry_after()
            )
        raise RefusedError(f"DingTalk refused the message: HTTP {answer.status}, errcode {code} {message}")

    def close(self) -> None:
        self.client.close()
