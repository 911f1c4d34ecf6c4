"""企业微信 (WeCom) group robot: markdown messages to `POST /cgi-bin/webhook/send?key=<key>`.

The service answers `{"errcode": 0, "errmsg": "ok"}`; errcode 45009 ("api freq out of limit") means the
robot's 20 messages a minute are spent; 93000 ("invalid webhook url") a wrong key. Markdown content may be
4,096 bytes of UTF-8 at most.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from alphamoe.alerts.channels.base import RateLimitedError, RefusedError, post_json, scrub
from alphamoe.alerts.config import ChannelName, WeComSettings
from alphamoe.alerts.model import Alert
from alphamoe.alerts.render import Style, fit, headline, utf8_len
from alphamoe.errors import ConfigurationError

MAX_BYTES = 4096
RATE_LIMITED = frozenset({45009})
PATH = "/cgi-bin/webhook/send"


def render(alerts: Sequence[Alert]) -> dict[str, Any]:
    """Return the robot's markdown message for a batch."""
    head = f"### {headline(alerts)}\n"
    body = fit(alerts, Style.MARKDOWN, MAX_BYTES - utf8_len(head), measure=utf8_len)
    return {"msgtype": "markdown", "markdown": {"content": head + body}}


class WeComChannel:
    name = ChannelName.WECOM

    def __init__(self, settings: WeComSettings, client: httpx.Client | None = None) -> None:
        if settings.key is None:
            raise ConfigurationError("WeCom needs ALPHAMOE_ALERTS__WECOM__KEY")
        self.settings, self.key = settings, settings.key
        self.client = client or httpx.Client(timeout=settings.timeout_s)

    def send(self, alerts: Sequence[Alert]) -> None:
        url = self.settings.base_url.rstrip("/") + PATH
        answer = post_json(self.client, "WeCom", url, render(alerts), params={"key": self.key.get_secret_value()})
        code, message = answer.body.get("errcode"), scrub(str(answer.body.get("errmsg", "")), [self.key])
        if answer.status == 200 and code == 0:
            return
        if code in RATE_LIMITED or answer.status == 429:
            raise RateLimitedError(
                f"WeCom throttled the robot: errcode {code} {message}", retry_after=answer.retry_after()
            )
        raise RefusedError(f"WeCom refused the message: HTTP {answer.status}, errcode {code} {message}")

    def close(self) -> None:
        self.client.close()
