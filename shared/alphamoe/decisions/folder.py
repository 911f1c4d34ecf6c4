"""Decision store on a local folder: one JSON file per call and per routed signal.

Layout: calls/<key[:2]>/<key>.json · routes/<run_id>/<symbol>.json · spend/<YYYY-MM-DD>.json
Files are written to a temporary name and renamed, so a reader never sees half a record.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

from alphamoe.decisions.record import CallRecord, RouteTrail
from alphamoe.errors import DataError

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,120}$")
MICRO = Decimal("0.000001")


def _safe(part: str, what: str) -> str:
    if not _SAFE.match(part) or part in {".", ".."}:
        raise DataError(f"{what} {part!r} cannot name a file: use letters, digits, '.', '_' or '-'")
    return part


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


class FolderDecisionStore:
    """Decisions as JSON files under `root` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._spend_lock = threading.Lock()

    @property
    def location(self) -> str:
        return str(self.root)

    def _call_path(self, key: str) -> Path:
        return self.root / "calls" / key[:2] / f"{_safe(key, 'call key')}.json"

    def get_call(self, key: str) -> CallRecord | None:
        path = self._call_path(key)
        try:
            return CallRecord.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None

    def put_call(self, record: CallRecord) -> None:
        _write(self._call_path(record.key), record.model_dump_json(indent=1))

    def _route_path(self, run_id: str, symbol: str) -> Path:
        return self.root / "routes" / _safe(run_id, "run id") / f"{_safe(symbol, 'symbol')}.json"

    def put_route(self, trail: RouteTrail) -> None:
        _write(self._route_path(trail.run_id, trail.routed.signal.symbol), trail.model_dump_json(indent=1))

    def get_route(self, run_id: str, symbol: str) -> RouteTrail | None:
        try:
            return RouteTrail.model_validate_json(self._route_path(run_id, symbol).read_bytes())
        except FileNotFoundError:
            return None

    def route_symbols(self, run_id: str) -> list[str]:
        folder = self.root / "routes" / _safe(run_id, "run id")
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []

    def _spend_path(self, day: date) -> Path:
        return self.root / "spend" / f"{day.isoformat()}.json"

    def add_spend(self, day: date, tokens: int, cost: Decimal) -> None:
        # one process's threads serialise here; separate processes sharing a folder may race (use Redis then)
        with self._spend_lock:
            spent_tokens, spent_cost = self.spend(day)
            total = {"tokens": spent_tokens + tokens, "cost_cny": str((spent_cost + cost).quantize(MICRO))}
            _write(self._spend_path(day), json.dumps(total))

    def spend(self, day: date) -> tuple[int, Decimal]:
        try:
            data = json.loads(self._spend_path(day).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return 0, Decimal(0)
        return int(data["tokens"]), Decimal(data["cost_cny"])
