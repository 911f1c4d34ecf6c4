"""The session's lazy reference: the live pre-open reference of the stocks asked for, built on first read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from alphamoe.backtest.market import BacktestMarket, build_market
from alphamoe.backtest.reference import SessionReference
from alphamoe.backtest.universe import load_range
from alphamoe.market.bars import BarStore
from alphamoe.market.reference import pre_open_reference


@pytest.fixture(scope="module")
def market(market_dir: Path) -> BacktestMarket:
    panel, first_row = load_range(BarStore(market_dir), date(2024, 7, 1), date(2024, 9, 30), 5)
    return build_market(panel, first_row, min_listing_days=0)


def test_session_reference_when_read_then_equals_live_pre_open_reference(
    market: BacktestMarket, market_dir: Path
) -> None:
    symbols = market.panel.symbols
    for row in range(market.first_row, market.first_row + 40, 7):
        day = market.panel.dates[row].astype("datetime64[D]").item()
        live = pre_open_reference(BarStore(market_dir), day)
        columns = [(symbols[i], i) for i in range(0, len(symbols), 3)]
        lazy = SessionReference(market, day, row, columns)
        expected = {s: live[s] for s, _ in columns if s in live}  # a stock without a bar on D has none
        assert set(lazy) == set(expected) and len(lazy) == len(expected)
        assert {s: lazy[s] for s in lazy} == expected


def test_session_reference_when_symbol_not_asked_for_then_absent(market: BacktestMarket) -> None:
    row = market.first_row
    day = market.panel.dates[row].astype("datetime64[D]").item()
    traded = [i for i in range(len(market.panel.symbols)) if market.traded[row, i]]
    asked, other = market.panel.symbols[traded[0]], market.panel.symbols[traded[1]]
    lazy = SessionReference(market, day, row, [(asked, traded[0])])
    assert asked in lazy and lazy.get(asked) is lazy[asked]  # built once, then the same object
    assert other not in lazy and lazy.get(other) is None
    with pytest.raises(KeyError):
        lazy[other]
