"""Shared fixtures: one small deterministic embedded market for the whole session."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "data" / "ashare"

SMALL_MARKET = {"symbols": 600, "start": date(2024, 1, 2), "end": date(2025, 3, 31), "seed": 11}


@pytest.fixture(scope="session")
def market_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 600-stock synthetic market over ~300 sessions, generated once per test session."""
    from alphamoe.data.synthetic import write_market

    out = tmp_path_factory.mktemp("market")
    write_market(out, **SMALL_MARKET)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="session")
def real_daily_dir() -> Path:
    """The real ganlei daily CSV folder; skips when ../shared/data is absent."""
    folder = REAL_DATA / "daily"
    if not folder.is_dir():
        pytest.skip(f"real A-share data not found at {folder}")
    return folder


@pytest.fixture(scope="session")
def real_daily() -> object:
    """The real ganlei daily folder imported once (a GanleiImport); skips when ../shared/data is absent."""
    from alphamoe.data.ganlei import read_ganlei

    folder = REAL_DATA / "daily"
    if not folder.is_dir():
        pytest.skip(f"real A-share data not found at {folder}")
    return read_ganlei(folder)
