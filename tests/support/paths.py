"""Where the tests find the repository and the real A-share data beside it (../shared/data/ashare)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REAL_DATA = REPO.parent / "shared" / "data" / "ashare"
