"""One execute process per account and trading day on a live broker: a lease in Redis, taken before the desk opens.

The journal's claim keeps a client order id to one send only among processes that share it; two processes
on separate journals (two `alphamoe run`s, a second replica pointed elsewhere) would each send the day's
orders. A live desk therefore first takes `alphamoe:execute:lock:<account>:<day>` with SET NX and a TTL,
refreshes it while the desk lives and deletes it when the day is closed. The second process refuses and
names the holder; if the holder died, its lease expires after the TTL and the next attempt takes it.

A lease whose holder is provably dead is taken over at once, so a restart after a SIGKILL is not held up
for a TTL: the holder ran on this host and its pid is gone, or is our own pid (a restarted container, where
the new process gets the old one's pid). A holder on another host is only ever waited out.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, date, datetime

import redis

from alphamoe.errors import AlphamoeError

log = logging.getLogger("alphamoe.broker.lock")
PREFIX = "alphamoe:execute:lock"
DEFAULT_TTL_S = 30.0
_REFRESH = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
_TAKE_OVER = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) end "
    "return false"
)
_LIVE_HOLDERS: set[str] = set()  # holders of this process: the same pid is not proof of a dead predecessor


class DeskLockedError(AlphamoeError):
    """Another execute process holds this account's trading day (or this one lost its lease): nothing is sent."""


class DayLocks:
    """This process's leases on (account, day); a daemon thread refreshes them every third of the TTL."""

    def __init__(self, client: redis.Redis, account_id: str, *, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.client, self.account_id, self.ttl_s = client, account_id, ttl_s
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        _LIVE_HOLDERS.add(self.holder)
        self._held: dict[date, str] = {}  # day → the value we set (compared before refresh and delete)
        self._renewed: dict[date, float] = {}  # day → monotonic time of the last confirmed refresh
        self._lost: dict[date, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refresh = client.register_script(_REFRESH)
        self._release = client.register_script(_RELEASE)
        self._take_over = client.register_script(_TAKE_OVER)

    def key(self, day: date) -> str:
        return f"{PREFIX}:{self.account_id}:{day.isoformat()}"

    def acquire(self, day: date) -> None:
        """Take the lease on `day`, or raise DeskLockedError naming the process that holds it."""
        with self._lock:
            fresh = day in self._held and time.monotonic() - self._renewed[day] <= self.ttl_s
            if fresh and day not in self._lost:
                return
            value = json.dumps({"holder": self.holder, "since": datetime.now(UTC).isoformat(timespec="seconds")})
            ttl_ms = int(self.ttl_s * 1000)
            try:
                if not self.client.set(self.key(day), value, nx=True, px=ttl_ms):
                    raw, left_ms = self.client.get(self.key(day)), self.client.pttl(self.key(day))
                    current = raw.decode() if isinstance(raw, bytes) else raw
                    if current is not None and current == self._held.get(day):
                        value = current  # still ours (a refresh was missed, not lost): extend it
                        self._refresh(keys=[self.key(day)], args=[value, ttl_ms])
                    elif current is None or not (
                        _dead_here(current) and self._take_over(keys=[self.key(day)], args=[current, value, ttl_ms])
                    ):
                        raise DeskLockedError(self._refusal(day, current, int(left_ms)))
                    else:
                        log.warning("execute lease %s: holder %s died on this host; taken over", self.key(day), current)
            except redis.RedisError as exc:
                raise DeskLockedError(f"cannot take the execute lease {self.key(day)}: Redis: {exc}") from exc
            self._held[day], self._renewed[day] = value, time.monotonic()
            self._lost.pop(day, None)
        self._ensure_thread()
        log.info("execute lease %s taken by %s", self.key(day), self.holder)

    def check(self, day: date) -> None:
        """Raise DeskLockedError unless this process still holds `day` (refreshed within the TTL)."""
        with self._lock:
            why = self._lost.get(day)
            if why is None and day in self._held and time.monotonic() - self._renewed[day] > self.ttl_s:
                why = f"not refreshed for more than {self.ttl_s:g} s (Redis unreachable?); another process may hold it"
        if why is not None:
            raise DeskLockedError(f"execute lease {self.key(day)} lost: {why}; no order is sent for {day}")

    def release(self, day: date) -> None:
        """Give up `day` (its desk closed); a lease another process holds by now is left alone."""
        with self._lock:
            value = self._held.pop(day, None)
            self._renewed.pop(day, None)
            self._lost.pop(day, None)
        if value is None:
            return
        try:
            self._release(keys=[self.key(day)], args=[value])
        except redis.RedisError as exc:  # the lease expires on its own after the TTL
            log.warning("execute lease %s not released (expires in %g s): %s", self.key(day), self.ttl_s, exc)

    def close(self) -> None:
        """Release every lease and stop refreshing (the process stops)."""
        self._stop.set()
        for day in list(self._held):
            self.release(day)
        _LIVE_HOLDERS.discard(self.holder)

    def refresh(self) -> None:
        """Extend every lease still ours; one another process took over is marked lost."""
        with self._lock:
            held = dict(self._held)
        for day, value in held.items():
            try:
                ours = bool(self._refresh(keys=[self.key(day)], args=[value, int(self.ttl_s * 1000)]))
            except redis.RedisError as exc:
                log.warning("execute lease %s not refreshed: %s", self.key(day), exc)
                continue
            with self._lock:
                if day not in self._held:
                    continue
                if ours:
                    self._renewed[day] = time.monotonic()
                elif day not in self._lost:
                    self._lost[day] = "expired or taken over by another process"
                    log.error("execute lease %s lost: no order is sent for %s", self.key(day), day)

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return

        def run() -> None:
            while not self._stop.wait(self.ttl_s / 3):
                self.refresh()

        self._thread = threading.Thread(target=run, name="execute-lease", daemon=True)
        self._thread.start()

    def _refusal(self, day: date, current: str | None, ttl_ms: int) -> str:
        try:
            found = json.loads(current or "{}")
            holder, since = found.get("holder", "?"), found.get("since", "?")
        except ValueError:
            holder, since = current, "?"
        expires = f"; its lease expires in {ttl_ms / 1000:.0f} s unless refreshed" if ttl_ms > 0 else ""
        return (
            f"account {self.account_id} on {day} is held by execute process {holder} (since {since}{expires}): "
            "two processes must not submit for one account and day. Stop the other process (or wait for its "
            f"lease {self.key(day)} to expire if it died), then retry"
        )


def _dead_here(current: str) -> bool:
    """True if the lease's holder ran on this host and its process is gone (or was our pid's predecessor)."""
    try:
        holder = str(json.loads(current)["holder"])
        host, pid, _ = holder.rsplit(":", 2)
        number = int(pid)
    except (ValueError, KeyError, TypeError):
        return False
    if host != socket.gethostname() or holder in _LIVE_HOLDERS:
        return False
    if number == os.getpid():
        return True  # not one of ours, yet our pid: a dead predecessor's (a restarted container)
    try:
        os.kill(number, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False
