"""Session fixtures for scan tests: one hand-built market, scanned once (VectorBT compiles on first use)."""

from __future__ import annotations

import pytest
from support.panels import head
from support.scan_market import SCAN_ROW, ScanInputs, day_of, make_market, reference_at

from alphamoe.scan.scanner import ScanResult


@pytest.fixture(scope="session")
def scan_inputs() -> ScanInputs:
    """40 stocks × 300 sessions of seeded random walks with planted breakouts (see support/scan_market.py)."""
    market = make_market()
    return ScanInputs(
        market=market,
        panel=head(market, SCAN_ROW),
        day=day_of(market, SCAN_ROW),
        reference=reference_at(market, SCAN_ROW),
    )


@pytest.fixture(scope="session")
def baseline(scan_inputs: ScanInputs) -> ScanResult:
    return scan_inputs.scan()
