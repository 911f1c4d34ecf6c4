"""What every channel shares: the Channel protocol, delivery errors by what the sender must do, a JSON POST.

Errors never carry a full URL: webhook keys and bot tokens live in the path or the query, so messages name
the service's origin only, and every text a service sends back passes through `scrub` first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from alphamoe.alerts.config import ChannelName
from alphamoe.alerts.model import Alert
from alphamoe.errors import AlphamoeError, clip
from alphamoe.security.redact import MASK, redact


class DeliveryError(AlphamoeError):
    """A message did not reach the service; `retryable` says whether sending it again can help."""

    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RefusedError(DeliveryError):
    """The service refused the credentials, the signature or the message: fix the settings, a retry cannot help."""


class RateLimitedError(DeliveryError):
    """The service throttled the sender; `retry_after` (seconds) when it said how long to wait."""

    retryable = True


class UnreachableError(DeliveryError):
    """No answer, a timeout or a server error: worth another try later."""

    retryable = True


class Channel(Protocol):
    """A destination for alerts; `send` delivers one message holding the batch, or raises DeliveryError."""

    name: ChannelName

    def send(self, alerts: Sequence[Alert]) -> None: ...

    def close(self) -> None: ...


def origin(url: str) -> str:
    """Return `scheme://host[:port]` of a URL: what an error may show of a webhook address."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def scrub(text: str, secrets: Iterable[SecretStr | str | None]) -> str:
    """Return `text` with every secret value masked and URL passwords redacted (a service may echo the key)."""
    for secret in secrets:
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if value:
            text = text.replace(value, MASK)
    return clip(redact(text))


class JsonAnswer:
    """A service's HTTP answer: status, headers and the JSON body (an empty dict when it sent none)."""

    def __init__(self, status: int, headers: Mapping[str, str], body: dict[str, Any]) -> None:
        self.status, self.headers, self.body = status, headers, body

    def retry_after(self) -> float | None:
        try:
            return float(self.headers["retry-after"])
        except (KeyError, ValueError):
            return None


def post_json(
    client: httpx.Client,
    service: str,
    url: str,
    body: Mapping[str, Any],
    *,
    params: Mapping[str, str] | None = None,
) -> JsonAnswer:
    """POST `body` as UTF-8 JSON; raise UnreachableError on no answer and on 5xx, RateLimitedError on a bare 429."""
    try:
        response = client.post(
            url,
            params=params,
            content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
    except httpx.TimeoutException:
        raise UnreachableError(f"{service} at {origin(url)} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise UnreachableError(f"{service} at {origin(url)} unreachable: {type(exc).__name__}") from None
    try:
        parsed = response.json()
    except ValueError:
        parsed = None
    answer = JsonAnswer(response.status_code, response.headers, parsed if isinstance(parsed, dict) else {})
    if response.status_code >= 500:
        raise UnreachableError(f"{service} at {origin(url)} answered HTTP {response.status_code}")
    if response.status_code == 429 and not answer.body:
        raise RateLimitedError(f"{service} answered HTTP 429", retry_after=answer.retry_after())
    return answer
