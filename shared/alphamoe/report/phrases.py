"""Counts as a person reads them: `12 suspended, 3 st`, never a Python dict such as `{'suspended': 12}`."""

from __future__ import annotations

from collections.abc import Mapping


def counts_phrase(counts: Mapping[str, int], *, none: str = "none") -> str:
    """Return `12 suspended, 3 limit up locked` for the non-zero counts, in their order; `none` when all are 0."""
    parts = [f"{n:,} {name.replace('_', ' ')}" for name, n in counts.items() if n]
    return ", ".join(parts) or none
