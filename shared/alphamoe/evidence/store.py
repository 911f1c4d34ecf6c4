"""Read the dated evidence files once and answer point-in-time questions about them."""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alphamoe.errors import DataError
from alphamoe.evidence.items import SHANGHAI, EvidenceItem, EvidenceKind

FILES = {EvidenceKind.FUNDAMENTAL: "fundamentals", EvidenceKind.NEWS: "news"}
DECISION_TIME = time(9, 0)


def decision_cutoff(day: date) -> datetime:
    """Return the instant day D's decisions are taken: items published from then on are unseen.

    09:00 Asia/Shanghai, before the 09:15 call auction: the pipeline runs at the open on D−1's bars.
    """
    return datetime.combine(day, DECISION_TIME, tzinfo=SHANGHAI)


def _rows(path: Path) -> Iterable[tuple[str, dict[str, Any]]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        for i, row in enumerate(pq.read_table(path).to_pylist(), start=1):
            if isinstance(row.get("fields"), str):
                row["fields"] = json.loads(row["fields"])
            yield f"{path}: row {i}", row
        return
    with path.open(encoding="utf-8") as handle:
        for i, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield f"{path}:{i}", json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}:{i} is not JSON: {exc.msg}") from None


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    # parquet writes absent optionals as null; the model wants them absent
    return {k: v for k, v in row.items() if v is not None or k == "symbol"}


class EvidenceStore:
    """Items by symbol (and market-wide), sorted by publication time; immutable once loaded."""

    def __init__(self, items: Iterable[EvidenceItem]) -> None:
        self._by_key: dict[tuple[EvidenceKind, str | None], list[EvidenceItem]] = defaultdict(list)
        for item in items:
            self._by_key[(item.kind, item.symbol)].append(item)
        self._times: dict[tuple[EvidenceKind, str | None], list[datetime]] = {}
        for key, bucket in self._by_key.items():
            bucket.sort(key=lambda it: (it.published_at, it.title))
            self._times[key] = [it.published_at for it in bucket]

    @classmethod
    def load(cls, folder: Path) -> EvidenceStore:
        """Read fundamentals.* and news.* (.jsonl or .parquet) from `folder`; a missing file is no evidence."""
        if not folder.is_dir():
            raise DataError(f"evidence folder {folder} does not exist (ALPHAMOE_EVIDENCE)")
        items: list[EvidenceItem] = []
        for kind, stem in FILES.items():
            for suffix in (".jsonl", ".parquet"):
                path = folder / f"{stem}{suffix}"
                if not path.is_file():
                    continue
                for where, row in _rows(path):
                    try:
                        items.append(EvidenceItem.model_validate({"kind": kind, **_clean(row)}))
                    except ValidationError as exc:
                        raise DataError(f"{where}: not an evidence item: {exc.errors()[0]['msg']}") from None
        return cls(items)

    def __len__(self) -> int:
        return sum(len(b) for b in self._by_key.values())

    def before(
        self, kind: EvidenceKind, symbol: str | None, cutoff: datetime, *, limit: int
    ) -> tuple[EvidenceItem, ...]:
        """Return the newest `limit` items of `kind` for `symbol` (None: market-wide) published before `cutoff`."""
        key = (kind, symbol)
        end = bisect.bisect_left(self._times.get(key, []), cutoff)
        return tuple(self._by_key.get(key, [])[max(0, end - limit) : end]) if limit > 0 else ()
