"""Who is signed in to the console: scrypt password hashes, HMAC-signed session cookies, CSRF tokens,
a throttle on wrong passwords, the one-time login token of a console without users, and where it may listen.

A session cookie is `<base64 json>.<hmac>`: the server keeps no session table, so a cookie whose body or
signature was touched is refused (and logged), and one past its expiry is too. The CSRF token is an HMAC of
the session's id, so a form posted from another site (which cannot read the cookie) cannot carry it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from alphamoe.console.config import ConsoleSettings, Role
from alphamoe.errors import ConfigurationError

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
SESSION_COOKIE = "alphamoe_console"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Return `scrypt$n$r$p$<salt hex>$<hash hex>` (stdlib hashlib.scrypt; memory-hard, salted)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT, dklen=32)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Return True when `password` hashes to `stored` (compared in constant time); False for a malformed hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


@dataclass(frozen=True)
class Session:
    user: str
    role: Role
    sid: str
    expires: float

    @property
    def operator(self) -> bool:
        return self.role is Role.OPERATOR


class SessionRefusedError(Exception):
    """A cookie that is malformed, forged, tampered with or expired: why, for the audit log."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Sign and check session cookies and CSRF tokens with one HMAC key."""

    def __init__(self, key: bytes, ttl_s: int) -> None:
        if len(key) < 32:
            raise ConfigurationError(f"ALPHAMOE_CONSOLE__SESSION_SECRET must be ≥ 32 bytes, was {len(key)}")
        self.key, self.ttl_s = key, ttl_s

    def _mac(self, purpose: str, body: str) -> str:
        return hmac.new(self.key, f"{purpose}\n{body}".encode(), hashlib.sha256).hexdigest()

    def issue(self, user: str, role: Role, *, now: float | None = None) -> tuple[Session, str]:
        """Return a new session and its cookie value."""
        session = Session(user, role, secrets.token_hex(16), (now or time.time()) + self.ttl_s)
        body = _b64(json.dumps({"u": user, "r": role.value, "s": session.sid, "e": session.expires}).encode())
        return session, f"{body}.{self._mac('session', body)}"

    def check(self, cookie: str, *, now: float | None = None) -> Session:
        """Return the cookie's session; raise SessionRefusedError saying what is wrong with it."""
        body, _, mac = cookie.partition(".")
        if not body or not hmac.compare_digest(mac, self._mac("session", body)):
            raise SessionRefusedError("session cookie signature does not match (tampered or forged)")
        try:
            doc = json.loads(_unb64(body))
            session = Session(str(doc["u"]), Role(doc["r"]), str(doc["s"]), float(doc["e"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise SessionRefusedError(f"session cookie unreadable: {exc}") from None
        if session.expires < (now or time.time()):
            raise SessionRefusedError(f"session of {session.user} expired")
        return session

    def csrf(self, session: Session) -> str:
        """Return the CSRF token of a session (forms carry it; another site cannot compute it)."""
        return self._mac("csrf", session.sid)

    def csrf_ok(self, session: Session, token: str) -> bool:
        return hmac.compare_digest(token, self.csrf(session))


class LoginThrottle:
    """Count wrong passwords per (user, address) over a sliding window; past the limit, refuse until it slides."""

    def __init__(self, attempts: int, window_s: float) -> None:
        self.attempts, self.window_s = attempts, window_s
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures

    def wait_s(self, user: str, address: str, *, now: float | None = None) -> float:
        """Return the seconds before the next attempt is heard (0: go ahead)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            failures = self._recent((user, address), now)
            if len(failures) < self.attempts:
                return 0.0
            return failures[0] + self.window_s - now

    def failed(self, user: str, address: str, *, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._recent((user, address), now).append(now)

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.pop((user, address), None)


class OneTimeToken:
    """The login token of a console without users (as Jupyter prints one): good for one operator sign-in."""

    def __init__(self) -> None:
        self.value: str | None = secrets.token_urlsafe(24)
        self._lock = threading.Lock()

    def redeem(self, token: str) -> bool:
        with self._lock:
            if self.value is None or not hmac.compare_digest(token, self.value):
                return False
            self.value = None
            return True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: ConsoleSettings) -> None:
    """Refuse a console an outsider could reach in the clear, or one anyone could sign in to.

    Off loopback it needs TLS (tls_certfile + tls_keyfile) or ALPHAMOE_CONSOLE__ALLOW_PLAIN_HTTP=true (a
    TLS-terminating ingress in front), and configured users: the one-time token is for loopback only.
    """
    if (settings.tls_certfile is None) != (settings.tls_keyfile is None):
        raise ConfigurationError("ALPHAMOE_CONSOLE__TLS_CERTFILE and ALPHAMOE_CONSOLE__TLS_KEYFILE go together")
    if is_loopback(host):
        return
    if settings.tls_certfile is None and not settings.allow_plain_http:
        raise ConfigurationError(
            f"the console refuses to listen on {host} (not loopback) without TLS: set ALPHAMOE_CONSOLE__TLS_CERTFILE "
            "and ALPHAMOE_CONSOLE__TLS_KEYFILE, or ALPHAMOE_CONSOLE__ALLOW_PLAIN_HTTP=true behind a TLS ingress"
        )
    if not settings.users:
        raise ConfigurationError(
            f"the console on {host} (not loopback) needs ALPHAMOE_CONSOLE__USERS: the one-time login token is "
            "for loopback only"
        )
