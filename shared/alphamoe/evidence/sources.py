"""Which vendor fills the evidence archive, and where the archive lives.

The vendor's client is the market update's (data.update.open_source, ALPHAMOE_DATA_SOURCE__*): one token,
one rate limit, one retry policy for bars and evidence alike. The archive is ALPHAMOE_EVIDENCE when set,
else `evidence/` inside the market store (a folder or s3://bucket/prefix), so it sits beside the bars.
"""

from __future__ import annotations

import time
from pathlib import Path

from alphamoe.data.feeds.config import DataSourceSettings
from alphamoe.data.feeds.pacing import Sleep
from alphamoe.errors import ConfigurationError
from alphamoe.evidence.akshare import AkshareEvidence
from alphamoe.evidence.archive import EvidenceArchive
from alphamoe.evidence.store import hand_written, open_location
from alphamoe.evidence.tushare import TushareEvidence
from alphamoe.evidence.update import EvidenceSource
from alphamoe.evidence.window import ArchiveWindow
from alphamoe.storage.location import is_s3_url, parse_s3

EVIDENCE_SOURCES = ("tushare", "akshare")
ARCHIVE_FOLDER = "evidence"


def open_evidence_source(name: str, settings: DataSourceSettings, *, sleep: Sleep = time.sleep) -> EvidenceSource:
    """Return the evidence vendor `name` on the market update's client for it."""
    if name not in EVIDENCE_SOURCES:
        raise ConfigurationError(f"--source {name!r} has no evidence: choose one of {', '.join(EVIDENCE_SOURCES)}")
    from alphamoe.data.feeds.akshare import AkshareSource
    from alphamoe.data.feeds.tushare_market import TushareSource
    from alphamoe.data.update import open_source

    market = open_source(name, settings, sleep=sleep)
    if isinstance(market, AkshareSource):
        return AkshareEvidence(
            market.client, notice_url=settings.eastmoney_notice_url, finance_url=settings.eastmoney_finance_url
        )
    assert isinstance(market, TushareSource)
    return TushareEvidence(market.client)


def evidence_root(data: Path | str, configured: Path | str | None) -> Path | str:
    """Return the archive's location: `configured` (ALPHAMOE_EVIDENCE), else `<data>/evidence`."""
    if configured is not None:
        return configured
    if is_s3_url(data):
        return parse_s3(data).join(ARCHIVE_FOLDER).url
    return Path(data) / ARCHIVE_FOLDER


def open_evidence(data: Path | str, configured: Path | str | None) -> ArchiveWindow | None:
    """Return the evidence the experts read: ALPHAMOE_EVIDENCE (which must exist), else the archive inside
    the market store when `data evidence` has filled it, else None (the experts then have no dated items).

    The archive is read a window at a time (evidence.window); hand-written files whole, once.
    """
    if configured is not None:
        store, folder = open_location(configured)
        return ArchiveWindow(EvidenceArchive(store), extra=hand_written(store, folder))
    archive = EvidenceArchive(evidence_root(data, None))
    return ArchiveWindow(archive) if archive.holds_any() else None
