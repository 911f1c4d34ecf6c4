"""The console's audit log: who did what, when and why — and every refusal (wrong password, forged CSRF,
a viewer pressing halt, a tampered cookie) — one JSON line each, appended and never rewritten."""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("alphamoe.console.audit")


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, who: str, what: str, *, why: str = "", outcome: str = "done", **detail: Any) -> dict[str, Any]:
        """Append one entry (fsync'd: an action that happened is never missing from the log) and return it."""
        entry = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "who": who, "what": what, "why": why}
        entry |= {"outcome": outcome, **detail}
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line)
                out.flush()
        (log.warning if outcome != "done" else log.info)("%s", line.rstrip())
        return entry

    def tail(self, count: int = 50) -> list[dict[str, Any]]:
        """Return the last `count` entries, newest first."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as lines:
            last = deque(lines, maxlen=count)
        return [json.loads(line) for line in reversed(last) if line.strip()]
