"""`check-strategy`: a peeking strategy is caught, a survivors-only universe and sealed-board entries flagged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from support.research import PeekingStrategy, SealedBoardChaser
from typer.testing import CliRunner

from alphamoe.backtest.market import build_market
from alphamoe.backtest.universe import load_range, restrict
from alphamoe.cli.app import app
from alphamoe.market.bars import BarStore, Panel
from alphamoe.research.bias import limit_cluster, survivorship
from alphamoe.research.lookahead import check_lookahead
from alphamoe.strategy.trend_breakout import TrendBreakout

END = date(2025, 3, 31)


@pytest.fixture(scope="module")
def panel(market_dir: Path) -> Panel:
    loaded, _ = load_range(BarStore(market_dir), date(2024, 6, 3), END, 60)
    return restrict(loaded, loaded.symbols[:200])


def test_lookahead_when_strategy_peeks_at_tomorrow_then_caught(panel: Panel) -> None:
    found = check_lookahead(PeekingStrategy(), panel, days=4)
    assert len(found) == 4 and found[0].output == "entries"


def test_lookahead_when_shipped_strategy_then_no_decision_moves(panel: Panel) -> None:
    assert check_lookahead(TrendBreakout(), panel, days=4) == []


def test_survivorship_when_universe_holds_only_survivors_then_flagged(market_dir: Path, panel: Panel) -> None:
    store = BarStore(market_dir)
    full, first = load_range(store, date(2024, 6, 3), END, 60)
    market = build_market(full, first, min_listing_days=60)
    whole = survivorship(store.instruments(), market, END)
    assert not whole.flagged and whole.delisted + whole.stopped > 0  # the synthetic market delists stocks
    traded = market.traded
    alive = [s for i, s in enumerate(full.symbols) if traded[-1, i]]
    survivors = build_market(restrict(full, alive), first, min_listing_days=60)
    frame = store.instruments()
    frame = frame.assign(delist_date=None)  # as a vendor list of today's stocks would have it
    assert survivorship(frame, survivors, END).flagged


def test_limit_cluster_when_entries_on_sealed_boards_then_flagged(market_dir: Path) -> None:
    full, first = load_range(BarStore(market_dir), date(2024, 6, 3), END, 60)
    market = build_market(full, first, min_listing_days=60)
    chaser = limit_cluster(SealedBoardChaser().decisions(full), market)
    assert chaser.flagged and chaser.on_locked > 0 and chaser.share > 0.5
    assert not limit_cluster(TrendBreakout().decisions(full), market).flagged


def test_check_strategy_cli_when_shipped_strategy_then_exit_0_and_three_lines(market_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["check-strategy", "trend_breakout", "--start", "2024-06-03", "--end", "2025-03-31",
              "--data", str(market_dir), "--days", "3"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "look-ahead: none" in result.output and "survivorship:" in result.output
    assert "limit-locked entries:" in result.output
