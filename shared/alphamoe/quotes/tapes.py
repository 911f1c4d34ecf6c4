"""Where the paper session keeps its open orders' tapes, so a restarted execute resumes them exactly.

A tape (`quotes.tape.Tape`) holds where an order joined the session (the stock's cumulative volume when it
was placed) and the prints since; the journal holds neither. Kept beside the journal (Redis with the
function's journal, memory in process), a restarted execute matches an order placed mid-session on the
quotes after its placement, not on the day so far. Quotes missed while execute was down are not replayed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

import redis

from alphamoe.quotes.tape import Tape

KEEP_S = 7 * 24 * 3600  # a day's tapes matter until its close; kept a week for a post-mortem


class TapeBook(Protocol):
    def load(self, day: date) -> dict[str, Tape]:
        """Return the day's saved tapes by client order id."""
        ...

    def save(self, day: date, tapes: Mapping[str, Tape]) -> None:
        """Save (replace) these orders' tapes of the day."""
        ...


class MemoryTapeBook:
    """Tapes of an in-process execute (a test restarts a stage on the same book)."""

    def __init__(self) -> None:
        self._days: dict[date, dict[str, Tape]] = {}

    def load(self, day: date) -> dict[str, Tape]:
        return {cid: Tape(**asdict(t)) for cid, t in self._days.get(day, {}).items()}

    def save(self, day: date, tapes: Mapping[str, Tape]) -> None:
        self._days.setdefault(day, {}).update({cid: Tape(**asdict(t)) for cid, t in tapes.items()})


def _encode(tape: Tape) -> str:
    return json.dumps({k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(tape).items()})


def _decode(text: str) -> Tape:
    raw: dict[str, Any] = json.loads(text)
    return Tape(
        baseline=raw["baseline"],
        open=None if raw["open"] is None else Decimal(raw["open"]),
        high=Decimal(raw["high"]),
        low=Decimal(raw["low"]),
        volume=int(raw["volume"]),
    )


class RedisTapeBook:
    """Tapes in Redis: hash `<prefix>:<YYYY-MM-DD>`, client order id → tape JSON (prefix: the journal's key)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    def _key(self, day: date) -> str:
        return f"{self.prefix}:{day.isoformat()}"

    def load(self, day: date) -> dict[str, Tape]:
        found: dict[Any, Any] = self.client.hgetall(self._key(day))
        return {(k.decode() if isinstance(k, bytes) else k): _decode(v) for k, v in found.items()}

    def save(self, day: date, tapes: Mapping[str, Tape]) -> None:
        if not tapes:
            return
        pipe = self.client.pipeline()
        pipe.hset(self._key(day), mapping={cid: _encode(t) for cid, t in tapes.items()})
        pipe.expire(self._key(day), KEEP_S)
        pipe.execute()
