"""Access to the console: hashed passwords, throttled guesses, signed sessions, CSRF, roles, the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from support.console import KEY, console_app, csrf_of, sign_in, store_hand_day, users

from alphamoe.console.auth import (
    SESSION_COOKIE,
    LoginThrottle,
    SessionSigner,
    check_bind,
    hash_password,
    verify_password,
)
from alphamoe.console.config import ConsoleSettings, Role
from alphamoe.errors import ConfigurationError
from alphamoe.risk.switch import RedisSwitch


def _audit(runs: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in (runs / "console" / "audit.jsonl").read_text().splitlines()]


def test_hash_password_when_checked_then_right_one_passes_and_hash_hides_it() -> None:
    stored = hash_password("s3cret")
    assert stored.startswith("scrypt$") and "s3cret" not in stored
    assert verify_password("s3cret", stored) and not verify_password("s3cret!", stored)
    assert not verify_password("s3cret", "scrypt$garbage")


def test_login_when_wrong_password_repeated_then_throttled_even_for_the_right_one(tmp_path: Path) -> None:
    _, client = console_app(tmp_path, None, users=users(), login_attempts=3)
    assert [sign_in(client, "ann", "wrong").status_code for _ in range(3)] == [401, 401, 401]
    assert sign_in(client, "ann").status_code == 429
    assert SESSION_COOKIE not in client.cookies
    outcomes = [e["outcome"] for e in _audit(tmp_path)]
    assert outcomes == ["refused", "refused", "refused", "throttled"]


def test_login_throttle_when_window_passes_then_heard_again() -> None:
    throttle = LoginThrottle(2, 60.0)
    throttle.failed("ann", "1.2.3.4", now=0.0)
    throttle.failed("ann", "1.2.3.4", now=1.0)
    assert throttle.wait_s("ann", "1.2.3.4", now=2.0) == pytest.approx(58.0)
    assert throttle.wait_s("ann", "5.6.7.8", now=2.0) == 0.0
    assert throttle.wait_s("ann", "1.2.3.4", now=61.5) == 0.0


def test_session_when_cookie_tampered_then_refused_logged_and_sent_to_login(tmp_path: Path) -> None:
    _, client = console_app(tmp_path, None, users=users())
    assert sign_in(client, "bob").status_code == 303
    _, mac = client.cookies[SESSION_COOKIE].split(".")
    forged = SessionSigner(KEY, 60).issue("bob", Role.OPERATOR)[1].split(".")[0]  # role raised, old signature
    client.cookies.clear()
    answer = client.get("/today", headers={"cookie": f"{SESSION_COOKIE}={forged}.{mac}"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert _audit(tmp_path)[-1]["outcome"] == "refused" and "signature" in _audit(tmp_path)[-1]["why"]


def test_halt_when_viewer_presses_it_then_refused_logged_and_state_unchanged(tmp_path: Path, redis_url: str) -> None:
    store_hand_day(tmp_path)
    _, client = console_app(tmp_path, redis_url, users=users())
    sign_in(client, "bob")
    token = csrf_of(client.get("/risk").text)
    answer = client.post("/risk/halt", data={"csrf": token, "reason": "test", "confirm": "yes", "account": "paper"})
    assert answer.status_code == 403 and "operator role" in answer.text
    assert RedisSwitch(redis.Redis.from_url(redis_url, decode_responses=True)).status("paper").state == "ACTIVE"
    last = _audit(tmp_path)[-1]
    assert (last["who"], last["what"], last["outcome"]) == ("bob", "halt", "refused")


def test_halt_when_csrf_token_forged_then_refused_and_logged(tmp_path: Path, redis_url: str) -> None:
    _, client = console_app(tmp_path, redis_url, users=users())
    sign_in(client, "ann")
    answer = client.post("/risk/halt", data={"csrf": "0" * 64, "reason": "x", "confirm": "yes", "account": "paper"})
    assert answer.status_code == 403
    assert RedisSwitch(redis.Redis.from_url(redis_url, decode_responses=True)).status("paper").state == "ACTIVE"
    assert "CSRF" in _audit(tmp_path)[-1]["why"]


def test_halt_when_operator_confirms_with_reason_then_redis_halted_and_audited(tmp_path: Path, redis_url: str) -> None:
    _, client = console_app(tmp_path, redis_url, users=users())
    sign_in(client, "ann")
    token = csrf_of(client.get("/risk").text)
    unconfirmed = client.post("/risk/halt", data={"csrf": token, "reason": "x", "account": "paper"})
    no_reason = client.post("/risk/halt", data={"csrf": token, "reason": " ", "confirm": "yes", "account": "paper"})
    assert (unconfirmed.status_code, no_reason.status_code) == (400, 400) and "'reason'" in no_reason.text
    done = client.post("/risk/halt", data={"csrf": token, "reason": "news", "confirm": "yes", "account": "paper"})
    assert done.status_code == 303
    status = RedisSwitch(redis.Redis.from_url(redis_url, decode_responses=True)).status("paper")
    assert (status.state, status.reason) == ("HALTED", "news")
    last = _audit(tmp_path)[-1]
    assert (last["who"], last["what"], last["why"], last["outcome"]) == ("ann", "halt", "news", "done")
    assert "HALTED (news" in client.get("/risk").text


def test_one_time_token_when_used_twice_then_second_refused(tmp_path: Path) -> None:
    served, client = console_app(tmp_path, None)
    assert served.token is not None and served.token.value is not None
    token = served.token.value
    assert client.get(f"/login?token={token}").status_code == 303
    assert client.get("/today").status_code == 200
    client.cookies.clear()
    assert client.get(f"/login?token={token}").status_code == 403


def test_console_when_redis_unreachable_then_pages_say_so(tmp_path: Path) -> None:
    store_hand_day(tmp_path)
    _, client = console_app(tmp_path, "redis://127.0.0.1:1/0", users=users())
    sign_in(client, "ann")
    for page in ("/today", "/risk", "/fabric"):
        answer = client.get(page)
        assert answer.status_code == 200 and "Redis unreachable" in answer.text, page
    assert "MA5 above MA20" in client.get("/today").text  # the stored day still shows


def test_today_when_day_malformed_then_400_naming_the_field(tmp_path: Path) -> None:
    _, client = console_app(tmp_path, None, users=users())
    sign_in(client, "bob")
    answer = client.get("/today?day=yesterday")
    assert answer.status_code == 400 and "day=" in answer.text


@pytest.mark.parametrize(
    ("host", "cfg", "refused"),
    [
        ("127.0.0.1", {}, False),
        ("0.0.0.0", {}, True),
        ("0.0.0.0", {"allow_plain_http": True}, True),  # and no users: the token is loopback only
        ("0.0.0.0", {"allow_plain_http": True, "users": users()}, False),
        ("10.0.0.5", {"tls_certfile": "c.pem", "tls_keyfile": "k.pem", "users": users()}, False),
        ("10.0.0.5", {"tls_certfile": "c.pem", "users": users()}, True),
    ],
)
def test_check_bind_when_off_loopback_then_needs_tls_or_setting(
    host: str, cfg: dict[str, object], refused: bool
) -> None:
    settings = ConsoleSettings.model_validate(cfg)
    if refused:
        with pytest.raises(ConfigurationError):
            check_bind(host, settings)
    else:
        check_bind(host, settings)
