"""The trust boundary's primitives on their own: key strength, hop signatures, run tokens."""

from __future__ import annotations

from datetime import date

import pytest

from alphamoe.errors import AuthenticationError, ConfigurationError
from alphamoe.security import hops, runs
from alphamoe.security.keys import MIN_KEY_BYTES, generate_key, require_key

KEY = generate_key().encode()
OTHER = generate_key().encode()
DAY = date(2025, 3, 31)
HEADERS = {
    "ce-id": "e1",
    "ce-type": "com.alphamoe.order.proposed",
    "ce-runid": "r1",
    "ce-tradingday": "2025-03-31",
    "content-type": "application/json",
}
BODY = b'{"quantity": 100}'


@pytest.mark.parametrize(
    "value",
    [None, "", "s", "x" * (MIN_KEY_BYTES - 1), "replace-with-64-hex-chars-from-openssl-rand-hex-32", "a" * 64],
)
def test_require_key_when_missing_short_or_placeholder_then_refused_without_echoing_it(value: str | None) -> None:
    with pytest.raises(ConfigurationError, match="ALPHAMOE_EVENT_KEY") as caught:
        require_key(value, "ALPHAMOE_EVENT_KEY")
    if value and len(value) > 3:
        assert value not in str(caught.value)


def test_require_key_when_generated_then_accepted() -> None:
    assert require_key(KEY.decode(), "ALPHAMOE_EVENT_KEY") == KEY


def test_verify_when_signed_then_passes_and_header_case_does_not_matter() -> None:
    signed = hops.signed(HEADERS, BODY, KEY)
    hops.verify({k.upper(): v for k, v in signed.items()}, BODY, KEY)


@pytest.mark.parametrize(
    ("header", "value"),
    [("ce-runid", "r2"), ("ce-tradingday", "2024-01-02"), ("ce-type", "com.alphamoe.market.close"), ("ce-new", "1")],
)
def test_verify_when_an_attribute_changed_or_added_after_signing_then_refused(header: str, value: str) -> None:
    signed = hops.signed(HEADERS, BODY, KEY)
    with pytest.raises(AuthenticationError, match="does not match"):
        hops.verify({**signed, header: value}, BODY, KEY)


def test_verify_when_body_changed_unsigned_or_other_key_then_refused() -> None:
    signed = hops.signed(HEADERS, BODY, KEY)
    with pytest.raises(AuthenticationError, match="does not match"):
        hops.verify(signed, b'{"quantity": 100000}', KEY)
    with pytest.raises(AuthenticationError, match="does not match"):
        hops.verify(signed, BODY, OTHER)
    with pytest.raises(AuthenticationError, match="missing"):
        hops.verify(HEADERS, BODY, KEY)


def test_run_token_when_issued_then_verifies_to_its_mode() -> None:
    for mode in runs.RunMode:
        assert runs.verify(KEY, runs.issue(KEY, "r1", DAY, mode), "r1", DAY) is mode


@pytest.mark.parametrize(
    ("token_run", "token_day", "mode_text", "key"),
    [
        ("r2", DAY, None, KEY),  # another run's token
        ("r1", date(2025, 3, 28), None, KEY),  # another day's token
        ("r1", DAY, "session", KEY),  # a simulation token relabelled as a session
        ("r1", DAY, None, OTHER),  # another deployment's key
    ],
)
def test_run_token_when_not_this_runs_then_refused(
    token_run: str, token_day: date, mode_text: str | None, key: bytes
) -> None:
    token = runs.issue(key, token_run, token_day, runs.RunMode.SIMULATION)
    if mode_text is not None:
        token = f"{mode_text}.{token.partition('.')[2]}"
    with pytest.raises(AuthenticationError):
        runs.verify(KEY, token, "r1", DAY)


def test_run_token_when_missing_or_unknown_mode_then_refused() -> None:
    with pytest.raises(AuthenticationError, match="no run token"):
        runs.verify(KEY, None, "r1", DAY)
    with pytest.raises(AuthenticationError, match="no known mode"):
        runs.verify(KEY, "live.00", "r1", DAY)
