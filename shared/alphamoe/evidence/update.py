"""Fill the evidence archive from a vendor, one publication day at a time (the evening data step calls this).

Idempotent: items are kept by stable id, so a day fetched again (to catch what came out after the first
fetch, or after an interrupted backfill) adds only what is new. News and announcements come out on
weekends and holidays too, so every calendar day is fetched, not only sessions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.evidence.archive import EvidenceArchive
from alphamoe.evidence.items import FetchedDay
from alphamoe.storage import ObjectStore


class EvidenceSource(Protocol):
    """A vendor of dated evidence (tushare: evidence.tushare.TushareEvidence)."""

    name: str

    def fetch_day(self, day: date) -> FetchedDay:
        """Return every item the vendor dates on `day` (Asia/Shanghai), and the rows it could not use."""
        ...


class EvidenceUpdate(BaseModel):
    """One day's update: what the vendor gave, what was new, what the archive already had."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    day: date
    source: str
    fetched: int
    added: int
    duplicates: int
    partitions: tuple[str, ...]
    skipped: dict[str, int] = Field(default_factory=dict, description="vendor rows not usable, by reason")


def update_evidence(
    root: Path | str | ObjectStore | EvidenceArchive, source: EvidenceSource, day: date
) -> EvidenceUpdate:
    """Fetch `day` from `source` into the archive at `root` (a folder, s3://bucket/prefix or an open store)."""
    archive = root if isinstance(root, EvidenceArchive) else EvidenceArchive(root)
    fetched = source.fetch_day(day)
    written = archive.add(fetched.items)
    return EvidenceUpdate(
        day=day,
        source=source.name,
        fetched=len(fetched.items),
        added=written.added,
        duplicates=written.duplicates,
        partitions=written.partitions,
        skipped=fetched.skipped,
    )


class EvidenceCatchUp(BaseModel):
    """The evening step's evidence: every calendar day since the vendor was last fetched through, to `until`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    source: str
    since: date
    until: date
    fetched: int
    added: int


CATCH_UP_DAYS = 31  # the evening step reaches back at most this far; `data evidence --since` backfills the rest


def catch_up_evidence(
    root: Path | str | ObjectStore | EvidenceArchive, source: EvidenceSource, until: date
) -> EvidenceCatchUp:
    """Fetch the days from the last one `source` was fetched through (again: items published after that fetch)
    to `until`, then record `until` as fetched through. A failure records nothing, so the next evening starts
    over from the same day; the archive keeps each item once, so fetching a day again only adds what is new.
    """
    archive = root if isinstance(root, EvidenceArchive) else EvidenceArchive(root)
    last = archive.fetched_through(source.name)
    since = max(last, until - timedelta(days=CATCH_UP_DAYS - 1)) if last is not None and last <= until else until
    fetched = added = 0
    for day in calendar_days(since, until):
        done = update_evidence(archive, source, day)
        fetched, added = fetched + done.fetched, added + done.added
    archive.mark_fetched(source.name, until)
    return EvidenceCatchUp(source=source.name, since=since, until=until, fetched=fetched, added=added)


def calendar_days(since: date, until: date) -> Iterator[date]:
    """Yield since … until inclusive."""
    day = since
    while day <= until:
        yield day
        day += timedelta(days=1)
