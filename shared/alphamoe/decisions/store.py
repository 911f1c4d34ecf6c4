"""The decision store contract and how to open one from ALPHAMOE_DECISIONS (a folder, s3:// or redis:// URL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from alphamoe.decisions.record import CallRecord, RouteTrail

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class DecisionStore(Protocol):
    """Calls by key, route trails by (run, symbol), and the daily spending ledger."""

    @property
    def location(self) -> str: ...

    def get_call(self, key: str) -> CallRecord | None: ...

    def put_call(self, record: CallRecord) -> None: ...

    def put_route(self, trail: RouteTrail) -> None: ...

    def get_route(self, run_id: str, symbol: str) -> RouteTrail | None: ...

    def route_symbols(self, run_id: str) -> list[str]: ...

    def add_spend(self, day: date, tokens: int, cost: Decimal) -> None: ...

    def spend(self, day: date) -> tuple[int, Decimal]: ...


def open_store(location: str | Path) -> DecisionStore:
    """Return the store at `location`: Redis for redis://, rediss:// and unix:// URLs, else an ObjectStore
    (s3://bucket/prefix, or a local folder)."""
    text = str(location)
    if text.startswith(REDIS_SCHEMES):
        from alphamoe.decisions.redis_store import RedisDecisionStore

        return RedisDecisionStore(text)
    from alphamoe.decisions.folder import FolderDecisionStore, ObjectDecisionStore
    from alphamoe.storage import is_s3_url
    from alphamoe.storage import open_store as open_objects

    if is_s3_url(location):
        return ObjectDecisionStore(open_objects(text))
    return FolderDecisionStore(Path(text).expanduser())
