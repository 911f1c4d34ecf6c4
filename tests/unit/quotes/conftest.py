"""Fixtures of the quote tests: the broker tests' hand-made day as a bar store, once per session."""

from __future__ import annotations

import pytest
from support.broker_day import build_store

from alphamoe.market.bars import BarStore


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> BarStore:
    return build_store(tmp_path_factory.mktemp("bars"))
