"""The decision store contract and how to open one from ALPHAMOE_DECISIONS (a folder, s3:// or redis:// URL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from alphamoe.decisions.record import CallRecord, RouteTrail

if TYPE_CHECKING:
    from alphamoe.settings_core import CoreSettings

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class DecisionStore(Protocol):
    """Calls by key, route trails by (run, symbol), the daily spending ledger and refused answers per reason."""

    @property
    def location(self) -> str: ...

    def get_call(self, key: str) -> CallRecord | None: ...

    def put_call(self, record: CallRecord) -> None: ...

    def put_route(self, trail: RouteTrail) -> None: ...

    def get_route(self, run_id: str, symbol: str) -> RouteTrail | None: ...

    def route_symbols(self, run_id: str) -> list[str]: ...

    def route_runs(self) -> list[str]:
        """Return the run ids with route trails, sorted (the track records read every recorded day)."""
        ...

    def add_spend(self, day: date, tokens: int, cost: Decimal) -> None: ...

    def spend(self, day: date) -> tuple[int, Decimal]: ...

    def add_refusal(self, day: date, code: str) -> None:
        """Count one LLM answer of `day` the router refused (router.grounding), under its reason code."""
        ...

    def refusals(self, day: date) -> dict[str, int]:
        """Return the refused answers of `day` by reason code."""
        ...


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


def decision_store(settings: CoreSettings) -> DecisionStore:
    """Open ALPHAMOE_DECISIONS, by default <runs>/decisions beside the day reports.

    Here, not with the route stage: `alphamoe explain` and the console read the record without the router.
    """
    return open_store(settings.llm.decisions or settings.runs_dir / "decisions")
