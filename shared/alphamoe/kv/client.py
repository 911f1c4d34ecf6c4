"""One way to open a Redis connection from a URL, so every part handles URLs and errors alike."""

from __future__ import annotations

import redis

from alphamoe.errors import ConfigurationError
from alphamoe.security.redact import redact


def connect(url: str, *, timeout: float = 5.0) -> redis.Redis:
    """Open a client for `url` (redis://, rediss:// or unix://) returning `str` values; check it answers.

    Errors name the URL with its password masked: they end up in logs, CLI output and dead letters.
    """
    try:
        client: redis.Redis = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        client.ping()
    except ValueError as exc:
        raise ConfigurationError(f"bad Redis URL {redact(url)!r}: {redact(str(exc))}") from None
    except redis.ConnectionError as exc:
        raise ConfigurationError(f"cannot reach Redis at {redact(url)}: {redact(str(exc))}") from exc
    return client
