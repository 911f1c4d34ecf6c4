"""Errors classified by what the caller must do (freqtrade's rule), with messages that say what and why."""

from __future__ import annotations


class AlphamoeError(Exception):
    """Base of every alphamoe error."""


class ConfigurationError(AlphamoeError):
    """Operator must fix the configuration; a function fails at start()."""


class DataError(AlphamoeError):
    """Input data is missing or malformed; the message names the file, column or row."""


class NoTradingDayError(DataError):
    """The requested date is not a trading session; the message names the next one."""


class EventError(AlphamoeError):
    """A CloudEvent or its payload is invalid; `field` names the offending attribute or field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownEventTypeError(EventError):
    """The event type is not one of alphamoe's contracts."""


class MissingAttributeError(EventError):
    """A required CloudEvent attribute or alphamoe extension is absent."""


class InvalidPayloadError(EventError):
    """The event data does not validate against its Pydantic payload model."""


class ApprovalError(AlphamoeError):
    """An order reached execute without a valid risk approval; it is parked, never sent."""


class AuthenticationError(EventError):
    """A request or event is not proved to come from this deployment (hop signature, run token, token): 401."""


ECHO_CHARS = 200
"""At most this much of an outsider's input is echoed back in an answer, a log line or a dead letter's reason."""


def clip(text: str, limit: int = ECHO_CHARS) -> str:
    """Return `text` cut to `limit` characters, saying how much was cut (a 1 MB field must not echo back whole)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more chars)"
