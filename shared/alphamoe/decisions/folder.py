"""Decision store on an ObjectStore (a local folder or s3://bucket/prefix): one JSON object per record.

Layout: calls/<key[:2]>/<key>.json · routes/<run_id>/<symbol>.json · spend/<YYYY-MM-DD>.json ·
refusals/<YYYY-MM-DD>.json (refused LLM answers by reason code)
The ObjectStore publishes every write atomically, so a reader never sees half a record.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

from alphamoe.decisions.record import CallRecord, RouteTrail
from alphamoe.errors import DataError
from alphamoe.storage import ObjectNotFoundError, ObjectStore
from alphamoe.storage.local import LocalStore

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,120}$")
MICRO = Decimal("0.000001")


def _safe(part: str, what: str) -> str:
    if not _SAFE.match(part) or part in {".", ".."}:
        raise DataError(f"{what} {part!r} cannot name a file: use letters, digits, '.', '_' or '-'")
    return part


class ObjectDecisionStore:
    """Decisions as JSON objects in `store` (a folder is created on first write)."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._spend_lock = threading.Lock()
        self._refusal_lock = threading.Lock()

    @property
    def location(self) -> str:
        return self.store.url

    def _read(self, key: str) -> bytes | None:
        try:
            return self.store.get_bytes(key)
        except ObjectNotFoundError:
            return None

    @staticmethod
    def _call_key(key: str) -> str:
        return f"calls/{key[:2]}/{_safe(key, 'call key')}.json"

    def get_call(self, key: str) -> CallRecord | None:
        raw = self._read(self._call_key(key))
        return CallRecord.model_validate_json(raw) if raw is not None else None

    def put_call(self, record: CallRecord) -> None:
        self.store.put_bytes(self._call_key(record.key), record.model_dump_json(indent=1).encode("utf-8"))

    @staticmethod
    def _route_key(run_id: str, symbol: str) -> str:
        return f"routes/{_safe(run_id, 'run id')}/{_safe(symbol, 'symbol')}.json"

    def put_route(self, trail: RouteTrail) -> None:
        key = self._route_key(trail.run_id, trail.routed.signal.symbol)
        self.store.put_bytes(key, trail.model_dump_json(indent=1).encode("utf-8"))

    def get_route(self, run_id: str, symbol: str) -> RouteTrail | None:
        raw = self._read(self._route_key(run_id, symbol))
        return RouteTrail.model_validate_json(raw) if raw is not None else None

    def route_symbols(self, run_id: str) -> list[str]:
        prefix = f"routes/{_safe(run_id, 'run id')}/"
        return sorted(k[len(prefix) : -len(".json")] for k in self.store.list(prefix) if k.endswith(".json"))

    def route_runs(self) -> list[str]:
        return sorted({k.split("/")[1] for k in self.store.list("routes/") if k.endswith(".json")})

    @staticmethod
    def _spend_key(day: date) -> str:
        return f"spend/{day.isoformat()}.json"

    def add_spend(self, day: date, tokens: int, cost: Decimal) -> None:
        # one process's threads serialise here; separate processes sharing a store may race (use Redis then)
        with self._spend_lock:
            spent_tokens, spent_cost = self.spend(day)
            total = {"tokens": spent_tokens + tokens, "cost_cny": str((spent_cost + cost).quantize(MICRO))}
            self.store.put_bytes(self._spend_key(day), json.dumps(total).encode("utf-8"))

    def spend(self, day: date) -> tuple[int, Decimal]:
        raw = self._read(self._spend_key(day))
        if raw is None:
            return 0, Decimal(0)
        data = json.loads(raw)
        return int(data["tokens"]), Decimal(data["cost_cny"])

    @staticmethod
    def _refusal_key(day: date) -> str:
        return f"refusals/{day.isoformat()}.json"

    def add_refusal(self, day: date, code: str) -> None:
        # like the spend ledger: one process's threads serialise here; separate processes may race (use Redis)
        with self._refusal_lock:
            counts = self.refusals(day)
            counts[code] = counts.get(code, 0) + 1
            self.store.put_bytes(self._refusal_key(day), json.dumps(counts, sort_keys=True).encode("utf-8"))

    def refusals(self, day: date) -> dict[str, int]:
        raw = self._read(self._refusal_key(day))
        return {str(k): int(v) for k, v in json.loads(raw).items()} if raw is not None else {}


class FolderDecisionStore(ObjectDecisionStore):
    """Decisions as JSON files under the local folder `root`."""

    def __init__(self, root: Path) -> None:
        super().__init__(LocalStore(root))
        self.root = root
