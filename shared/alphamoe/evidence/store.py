"""Read the dated evidence once (a local folder or s3://bucket/prefix) and answer point-in-time questions.

Two layouts are read, together: the archive the fetchers fill (`<kind>/<YYYY>/<YYYY-MM-DD>.jsonl`,
evidence.archive) and hand-written `fundamentals.jsonl` / `news.jsonl` (or `.parquet`). An item present in
both (same stable id) is kept once.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from alphamoe.errors import DataError
from alphamoe.evidence.archive import EvidenceArchive
from alphamoe.evidence.items import SHANGHAI, EvidenceItem, EvidenceKind
from alphamoe.storage import ObjectStore, open_store
from alphamoe.storage.location import local_folder

FILES = {EvidenceKind.FUNDAMENTAL: "fundamentals", EvidenceKind.NEWS: "news"}
DECISION_TIME = time(9, 0)


def decision_cutoff(day: date) -> datetime:
    """Return the instant day D's decisions are taken: items published from then on are unseen.

    09:00 Asia/Shanghai, before the 09:15 call auction: the pipeline runs at the open on D−1's bars.
    """
    return datetime.combine(day, DECISION_TIME, tzinfo=SHANGHAI)


def _rows(where: str, data: bytes) -> Iterable[tuple[str, dict[str, Any]]]:
    """Yield (position, row) of one evidence object; `where` names it in errors and ends with its suffix."""
    if where.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        for i, row in enumerate(pq.read_table(pa.BufferReader(data)).to_pylist(), start=1):
            if isinstance(row.get("fields"), str):
                row["fields"] = json.loads(row["fields"])
            yield f"{where}: row {i}", row
        return
    for i, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if line.strip():
            try:
                yield f"{where}:{i}", json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{where}:{i} is not JSON: {exc.msg}") from None


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    # parquet writes absent optionals as null; the model wants them absent
    return {k: v for k, v in row.items() if v is not None or k == "symbol"}


class DatedEvidence(Protocol):
    """What the provider asks of dated evidence: an eager EvidenceStore or a window over the archive."""

    def before(
        self, kind: EvidenceKind, symbol: str | None, cutoff: datetime, *, limit: int
    ) -> tuple[EvidenceItem, ...]: ...


def hand_written(store: ObjectStore, folder: Path | None) -> list[EvidenceItem]:
    """Return the items of fundamentals.* and news.* (.jsonl or .parquet) in `store`; a missing file is none."""
    items: list[EvidenceItem] = []
    for kind, name in _present(store):
        source = str(folder / name) if folder is not None else f"{store.url.rstrip('/')}/{name}"
        for where, row in _rows(source, store.get_bytes(name)):
            try:
                items.append(EvidenceItem.model_validate({"kind": kind, **_clean(row)}))
            except ValidationError as exc:
                raise DataError(f"{where}: not an evidence item: {exc.errors()[0]['msg']}") from None
    return items


def _names() -> list[tuple[EvidenceKind, str]]:
    return [(kind, f"{stem}{suffix}") for kind, stem in FILES.items() for suffix in (".jsonl", ".parquet")]


def _present(store: ObjectStore) -> list[tuple[EvidenceKind, str]]:
    return [(kind, name) for kind, name in _names() if store.exists(name)]


def open_location(location: Path | str | ObjectStore) -> tuple[ObjectStore, Path | None]:
    """Return the store at ALPHAMOE_EVIDENCE and its local folder; a missing folder, or an S3 prefix with
    neither the files nor the archive, is an error."""
    folder = local_folder(location) if not isinstance(location, ObjectStore) else None
    if folder is not None and not folder.is_dir():
        raise DataError(f"evidence folder {folder} does not exist (ALPHAMOE_EVIDENCE)")
    store = open_store(location)
    if folder is None and not _present(store) and not EvidenceArchive(store).holds_any():
        expected = ", ".join(name for _, name in _names())
        raise DataError(
            f"no evidence at {store.url} (ALPHAMOE_EVIDENCE): expected one of {expected}, or the archive "
            "`alphamoe data evidence` fills"
        )
    return store, folder


class EvidenceStore:
    """Items by symbol (and market-wide), sorted by publication time; immutable once loaded."""

    def __init__(self, items: Iterable[EvidenceItem]) -> None:
        self._by_key: dict[tuple[EvidenceKind, str | None], list[EvidenceItem]] = defaultdict(list)
        unique = {item.id: item for item in items}  # the archive and a hand-written file may hold the same item
        for item in unique.values():
            self._by_key[(item.kind, item.symbol)].append(item)
        self._times: dict[tuple[EvidenceKind, str | None], list[datetime]] = {}
        for key, bucket in self._by_key.items():
            bucket.sort(key=lambda it: (it.published_at, it.title, it.id))
            self._times[key] = [it.published_at for it in bucket]

    @classmethod
    def load(cls, location: Path | str | ObjectStore) -> EvidenceStore:
        """Read everything: the archive and fundamentals.* / news.* (.jsonl or .parquet), from a folder or
        s3://bucket/prefix (evidence.window.ArchiveWindow reads only the days a decision needs).

        A missing file is no evidence; a missing folder, or an S3 prefix with none of the files, is an error.
        """
        store, folder = open_location(location)
        return cls([*EvidenceArchive(store).read(), *hand_written(store, folder)])

    def __len__(self) -> int:
        return sum(len(b) for b in self._by_key.values())

    def before(
        self, kind: EvidenceKind, symbol: str | None, cutoff: datetime, *, limit: int
    ) -> tuple[EvidenceItem, ...]:
        """Return the newest `limit` items of `kind` for `symbol` (None: market-wide) published before `cutoff`."""
        key = (kind, symbol)
        end = bisect.bisect_left(self._times.get(key, []), cutoff)
        return tuple(self._by_key.get(key, [])[max(0, end - limit) : end]) if limit > 0 else ()
