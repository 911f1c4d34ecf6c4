"""Point-in-time evidence for the experts: the scan's features and statistics, dated fundamentals and news.

The archive `alphamoe data evidence` fills (evidence.archive: `<kind>/<YYYY>/<YYYY-MM-DD>.jsonl` in
`<data>/evidence` or ALPHAMOE_EVIDENCE, from evidence.tushare) and hand-written files are read together.
Hand-written layout (ALPHAMOE_EVIDENCE, a folder or s3://bucket/prefix): `fundamentals.jsonl` and
`news.jsonl` (or `.parquet` with the same columns), one item per line:

    {"symbol": "600519.SH", "published_at": "2024-04-26T19:30:00+08:00", "title": "Q1 report",
     "text": "…", "fields": {"pe_ttm": 28.1, "roe": 0.31}, "source": "SSE filing"}

`published_at` is when the item became public (naive times are Asia/Shanghai); `symbol` null (or absent)
makes it market-wide (macro, policy, sector news). The decisions of day D see only items published before
D 09:00 Asia/Shanghai (evidence.store.decision_cutoff), whatever else the files hold. Each item gets a
stable id (evidence.items.evidence_id) that answers cite and the archive deduplicates by.
"""

from alphamoe.evidence.items import EvidenceItem, EvidenceKind, evidence_id
from alphamoe.evidence.provider import Evidence, EvidenceProvider
from alphamoe.evidence.store import EvidenceStore, decision_cutoff

__all__ = [
    "Evidence",
    "EvidenceItem",
    "EvidenceKind",
    "EvidenceProvider",
    "EvidenceStore",
    "decision_cutoff",
    "evidence_id",
]
