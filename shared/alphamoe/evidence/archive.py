"""The evidence archive in the store (a folder or s3://bucket/prefix): items partitioned by kind and day.

Layout: `<kind>/<YYYY>/<YYYY-MM-DD>.jsonl`, the day being the item's publication day in Asia/Shanghai,
one item per line sorted by (published_at, id). Items are deduplicated by their stable id
(evidence.items.evidence_id), so fetching a day twice, or a vendor repeating an item, changes nothing.
A partition is rewritten whole and atomically (the ObjectStore publishes each write at once): a reader
sees the old partition or the new one. Adding never removes an item already kept.

`manifest.json` holds each partition's item count, rewritten after the partitions an `add` changed, and the
last day each vendor was fetched through (the evening step resumes from it). Counts only grow, so a reader
that cached a partition re-reads it when the manifest's count differs from what it read: one small read
per day tells a long-running process what a backfill changed, whatever the day.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from alphamoe.errors import DataError
from alphamoe.evidence.items import SHANGHAI, EvidenceItem, EvidenceKind
from alphamoe.storage import ObjectNotFoundError, ObjectStore, open_store

SUFFIX = ".jsonl"
MANIFEST = "manifest.json"


class ArchiveWrite(BaseModel):
    """What one `add` did: items new to the archive, items it already held, partitions rewritten."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    added: int
    duplicates: int
    partitions: tuple[str, ...]


def partition_key(kind: EvidenceKind, day: date) -> str:
    """Return the object key of one kind's items published on `day` (Asia/Shanghai)."""
    return f"{kind.value}/{day:%Y}/{day.isoformat()}{SUFFIX}"


def _day_of(item: EvidenceItem) -> date:
    return item.published_at.astimezone(SHANGHAI).date()


def _encode(items: Iterable[EvidenceItem]) -> bytes:
    ordered = sorted(items, key=lambda it: (it.published_at, it.id))
    return "".join(it.model_dump_json() + "\n" for it in ordered).encode("utf-8")


class EvidenceArchive:
    """Dated evidence kept in an ObjectStore; `add` merges, `read` returns what is kept."""

    def __init__(self, location: Path | str | ObjectStore) -> None:
        self.store = open_store(location)

    @property
    def url(self) -> str:
        return self.store.url

    def partitions(self, kind: EvidenceKind | None = None) -> list[str]:
        """Return the keys of every partition (of one kind), oldest first."""
        kinds = [kind] if kind is not None else list(EvidenceKind)
        keys = [k for kd in kinds for k in self.store.list(f"{kd.value}/") if k.endswith(SUFFIX)]
        return sorted(keys, key=lambda k: (k.rsplit("/", 1)[-1], k))

    def manifest(self) -> dict[str, Any]:
        """Return manifest.json ({"partitions": key → items, "fetched": vendor → day}); empty when absent."""
        try:
            found = json.loads(self.store.get_bytes(MANIFEST))
        except ObjectNotFoundError:
            return {"partitions": {}, "fetched": {}}
        except json.JSONDecodeError as exc:
            raise DataError(f"{self.store.url.rstrip('/')}/{MANIFEST} is not JSON: {exc.msg}") from None
        return {"partitions": dict(found.get("partitions", {})), "fetched": dict(found.get("fetched", {}))}

    def counts(self) -> dict[str, int]:
        """Return each partition's item count as of its last write (partitions written before the manifest
        existed are absent)."""
        return {str(k): int(v) for k, v in self.manifest()["partitions"].items()}

    def fetched_through(self, vendor: str) -> date | None:
        """Return the last day `vendor` was fetched through completely (None: never)."""
        day = self.manifest()["fetched"].get(vendor)
        return date.fromisoformat(day) if day else None

    def mark_fetched(self, vendor: str, day: date) -> None:
        """Record that `vendor` was fetched through `day` (never moves back)."""
        manifest = self.manifest()
        last = manifest["fetched"].get(vendor)
        if last is None or date.fromisoformat(last) < day:
            manifest["fetched"][vendor] = day.isoformat()
            self._write_manifest(manifest)

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        self.store.put_bytes(MANIFEST, json.dumps(manifest, sort_keys=True, indent=1).encode("utf-8"))

    def holds_any(self) -> bool:
        return any(self.store.list(f"{kind.value}/") for kind in EvidenceKind)

    def _partition(self, key: str) -> dict[str, EvidenceItem]:
        if not self.store.exists(key):
            return {}
        kept: dict[str, EvidenceItem] = {}
        for i, line in enumerate(self.store.get_bytes(key).decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = EvidenceItem.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise DataError(f"{self.store.url.rstrip('/')}/{key}:{i}: not an evidence item: {exc}") from None
            kept[item.id] = item
        return kept

    def read_partition(self, key: str) -> list[EvidenceItem]:
        """Return the items of one partition (none if it does not exist)."""
        return list(self._partition(key).values())

    def add(self, items: Iterable[EvidenceItem]) -> ArchiveWrite:
        """Merge `items` into their partitions; only partitions that gain an item are rewritten."""
        by_partition: dict[str, list[EvidenceItem]] = defaultdict(list)
        for item in items:
            by_partition[partition_key(item.kind, _day_of(item))].append(item)
        added = duplicates = 0
        written: list[str] = []
        counts: dict[str, int] = {}
        for key in sorted(by_partition):
            kept = self._partition(key)
            before = len(kept)
            for item in by_partition[key]:
                if item.id in kept:
                    duplicates += 1
                else:
                    kept[item.id] = item
            if len(kept) > before:
                added += len(kept) - before
                self.store.put_bytes(key, _encode(kept.values()))
                written.append(key)
                counts[key] = len(kept)
        if counts:  # after the partitions: a reader that sees the new count finds the new partition
            manifest = self.manifest()
            manifest["partitions"].update(counts)
            self._write_manifest(manifest)
        return ArchiveWrite(added=added, duplicates=duplicates, partitions=tuple(written))

    def read(self, *, since: date | None = None, until: date | None = None) -> list[EvidenceItem]:
        """Return the items published on days since … until (inclusive, Asia/Shanghai), all when not bounded."""
        items: list[EvidenceItem] = []
        for key in self.partitions():
            day = date.fromisoformat(key.rsplit("/", 1)[-1][: -len(SUFFIX)])
            if (since is None or day >= since) and (until is None or day <= until):
                items.extend(self._partition(key).values())
        return items
