"""A URL's password never reaches output: masked in URLs and in messages that embed them."""

from __future__ import annotations

import pytest

from alphamoe.security.redact import redact


@pytest.mark.parametrize(
    ("shown", "masked"),
    [
        ("redis://functions:pw123@127.0.0.1:6390/0", "redis://functions:***@127.0.0.1:6390/0"),
        ("rediss://:pw123@redis.alphamoe.svc:6379/0", "rediss://:***@redis.alphamoe.svc:6379/0"),
        ("redis://u:p@ss@host:1/0", "redis://u:***@host:1/0"),  # an '@' inside the password
        ("redis://127.0.0.1:6390/0", "redis://127.0.0.1:6390/0"),  # nothing to mask
        ("unix:///tmp/redis.sock", "unix:///tmp/redis.sock"),
        ("http://127.0.0.1:8080/health", "http://127.0.0.1:8080/health"),
    ],
)
def test_redact_when_url_then_password_masked_rest_kept(shown: str, masked: str) -> None:
    assert redact(shown) == masked


def test_redact_when_message_embeds_urls_then_each_password_masked() -> None:
    message = "cannot reach redis://a:one@h1:1/0 nor redis://b:two@h2:2/0: refused"
    assert redact(message) == "cannot reach redis://a:***@h1:1/0 nor redis://b:***@h2:2/0: refused"
