"""Key strength: a secret shorter than 32 bytes or still a placeholder must not start a function.

A 1-byte HMAC key can be guessed; a placeholder copied from `knative/secret.yaml` is public. Both are
refused at start, naming the setting, never echoing the value.
"""

from __future__ import annotations

import secrets

from pydantic import SecretStr

from alphamoe.errors import ConfigurationError

MIN_KEY_BYTES = 32
PLACEHOLDER_MARKERS = ("replace-with", "changeme", "change-me", "placeholder", "example", "xxxxxxxx")


def is_placeholder(value: str) -> bool:
    """True for a value left from a template (`replace-with-…`, `changeme`, a single repeated character)."""
    lowered = value.strip().lower()
    return any(marker in lowered for marker in PLACEHOLDER_MARKERS) or len(set(lowered)) <= 1


def require_key(value: SecretStr | str | bytes | None, setting: str) -> bytes:
    """Return the key's bytes, or raise ConfigurationError naming `setting` (never the value).

    Refused: missing, shorter than 32 bytes, or a placeholder.
    """
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None or not value:
        raise ConfigurationError(f"{setting} is not set: generate one with `openssl rand -hex 32`")
    raw = value.encode() if isinstance(value, str) else value
    if len(raw) < MIN_KEY_BYTES:
        raise ConfigurationError(
            f"{setting} is {len(raw)} bytes; at least {MIN_KEY_BYTES} are required (`openssl rand -hex 32`)"
        )
    if is_placeholder(raw.decode("utf-8", "replace")):
        raise ConfigurationError(f"{setting} is still a placeholder; set a random value (`openssl rand -hex 32`)")
    return raw


def generate_key() -> str:
    """Return a fresh 64-hex-character key (what `cluster up` and in-process runs use when none is set)."""
    return secrets.token_hex(MIN_KEY_BYTES)
