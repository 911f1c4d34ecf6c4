"""Dated evidence read from the archive a window at a time: a decision reads the days it can use, not years.

Day D's decisions read, per kind, the partitions of the `lookback` days up to D (fundamentals: 400 days, so
the last annual report is in; news: 45 days), plus the hand-written files, which are small and read once.
Moving to the next day reads the one new partition and drops the one that left the window, so a backtest
or a long-running route function reads each partition about once. A new day's window reads the archive's
manifest (one small object) and reads again every partition whose item count changed since it was read: the
evening fetch adds to the newest days, a backfill to any day. Partitions the manifest does not list (written
before it existed) fall back to re-reading the two newest days of the window.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from alphamoe.evidence.archive import SUFFIX, EvidenceArchive
from alphamoe.evidence.items import SHANGHAI, EvidenceItem, EvidenceKind
from alphamoe.evidence.store import EvidenceStore

LOOKBACK_DAYS: Mapping[EvidenceKind, int] = {EvidenceKind.FUNDAMENTAL: 400, EvidenceKind.NEWS: 45}
FRESH_DAYS = 2  # unlisted partitions this close to the window's last day are read again for each new day


def _day_of(key: str) -> date:
    return date.fromisoformat(key.rsplit("/", 1)[-1][: -len(SUFFIX)])


class ArchiveWindow:
    """Answers `before()` like an EvidenceStore, over the archive's partitions near the cutoff's day."""

    def __init__(
        self,
        archive: EvidenceArchive,
        *,
        extra: Iterable[EvidenceItem] = (),
        lookback_days: Mapping[EvidenceKind, int] = LOOKBACK_DAYS,
    ) -> None:
        self.archive = archive
        self.lookback_days = {**LOOKBACK_DAYS, **lookback_days}
        self._extra = list(extra)
        self._partitions: dict[str, list[EvidenceItem]] = {}  # key → items, of the current windows
        self._windows: dict[tuple[EvidenceKind, date], EvidenceStore] = {}
        self._lock = threading.Lock()  # LLM experts of one batch ask from several threads
        self.reads = 0  # partitions read, for tests and benchmarks

    def _window(self, kind: EvidenceKind, day: date) -> EvidenceStore:
        with self._lock:
            found = self._windows.get((kind, day))
            if found is not None:
                return found
            first = day - timedelta(days=self.lookback_days[kind])
            keys = [k for k in self.archive.partitions(kind) if first <= _day_of(k) <= day]
            fresh_from = day - timedelta(days=FRESH_DAYS - 1)
            counts = self.archive.counts()
            for key in [k for k in self._partitions if k.startswith(f"{kind.value}/") and k not in keys]:
                del self._partitions[key]  # left the window
            for key in keys:
                cached, known = self._partitions.get(key), counts.get(key)
                stale = _day_of(key) >= fresh_from if known is None else known != len(cached or ())
                if cached is None or stale:
                    self._partitions[key] = self.archive.read_partition(key)
                    self.reads += 1
            items = [it for key in keys for it in self._partitions[key]]
            store = EvidenceStore([*items, *(it for it in self._extra if it.kind is kind)])
            self._windows = {k: v for k, v in self._windows.items() if k[0] is not kind}  # one day per kind
            self._windows[(kind, day)] = store
            return store

    def before(
        self, kind: EvidenceKind, symbol: str | None, cutoff: datetime, *, limit: int
    ) -> tuple[EvidenceItem, ...]:
        """Return the newest `limit` items of `kind` for `symbol` published before `cutoff` within the window."""
        return self._window(kind, cutoff.astimezone(SHANGHAI).date()).before(kind, symbol, cutoff, limit=limit)
