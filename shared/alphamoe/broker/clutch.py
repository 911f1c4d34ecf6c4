"""The clutch: the pipeline keeps deciding while execute sends nothing (WonderTrader's 离合器).

Unlike HALTED (risk approves nothing), a disengaged clutch lets scan, route, size and risk run and
approve as usual, so an operator sees what the system *would* trade; execute then parks every approved
order with the clutch's reason instead of sending it. Kept per account in Redis beside the kill switch,
so every execute replica reads the same flag before each order.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import redis


@dataclass(frozen=True, slots=True)
class ClutchStatus:
    """Engaged (the default): approved orders go to the broker. Disengaged: decided, never sent."""

    engaged: bool = True
    reason: str = ""
    since: str = ""

    def describe(self) -> str:
        word = "ENGAGED" if self.engaged else "DISENGAGED"
        if not self.reason:
            return word
        return f"{word} ({self.reason}{', since ' + self.since if self.since else ''})"


class Clutch(Protocol):
    """The clutch of each account, read by execute before every order and set by a person."""

    def status(self, account_id: str) -> ClutchStatus: ...

    def set(self, account_id: str, engaged: bool, reason: str, *, at: datetime) -> ClutchStatus: ...


def _manual(engaged: bool, reason: str, at: datetime) -> ClutchStatus:
    word = "engaged" if engaged else "disengaged"
    return ClutchStatus(engaged, reason or f"{word} by hand", at.isoformat(timespec="seconds"))


class MemoryClutch:
    """The clutch of one process (an in-process run or a test)."""

    def __init__(self) -> None:
        self._status: dict[str, ClutchStatus] = {}
        self._lock = threading.Lock()

    def status(self, account_id: str) -> ClutchStatus:
        return self._status.get(account_id, ClutchStatus())

    def set(self, account_id: str, engaged: bool, reason: str, *, at: datetime) -> ClutchStatus:
        with self._lock:
            self._status[account_id] = status = _manual(engaged, reason, at)
            return status


class RedisClutch:
    """The clutch in Redis: `<prefix>:{account}:clutch` (engaged 1|0, reason, since); absent = engaged."""

    def __init__(self, client: redis.Redis, prefix: str = "alphamoe:execute") -> None:
        self.client = client
        self.prefix = prefix

    def key(self, account_id: str) -> str:
        return f"{self.prefix}:{{{account_id}}}:clutch"

    def status(self, account_id: str) -> ClutchStatus:
        raw: dict[str, str] = self.client.hgetall(self.key(account_id))  # type: ignore[assignment]
        if not raw:
            return ClutchStatus()
        return ClutchStatus(raw.get("engaged", "1") == "1", raw.get("reason", ""), raw.get("since", ""))

    def set(self, account_id: str, engaged: bool, reason: str, *, at: datetime) -> ClutchStatus:
        status = _manual(engaged, reason, at)
        fields = {"engaged": "1" if engaged else "0", "reason": status.reason, "since": status.since}
        self.client.hset(self.key(account_id), mapping=fields)  # type: ignore[arg-type]
        return status
