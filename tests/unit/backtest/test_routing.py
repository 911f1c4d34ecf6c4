"""The backtest's picks and the router's word on them: the scan's choice, judged by the live expert panel."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from alphamoe.backtest.compiled.engine import simulate_compiled
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import Prepared, prepare
from alphamoe.backtest.explain import EXIT, TRIM, fill_reasons
from alphamoe.backtest.picks import VERDICTS, candidate_mask, scan_picks
from alphamoe.backtest.routing import pick_signals
from alphamoe.errors import ConfigurationError
from alphamoe.market.bars import BarStore
from alphamoe.router.graph import default_router
from alphamoe.strategy.registry import strategy_by_name
from alphamoe.strategy.trend_breakout import TrendBreakout
from alphamoe.types import Side, Verdict

START, END = date(2024, 7, 1), date(2025, 3, 31)


@pytest.fixture(scope="module")
def routed(market_dir: Path) -> Prepared:
    return prepare(BarStore(market_dir), START, END, TrendBreakout(), BacktestConfig(warmup=120, route="symbolic"))


def test_scan_picks_when_compared_row_by_row_then_best_scores_first_ties_by_symbol_capped(routed: Prepared) -> None:
    market = routed.market
    signals = dataclasses.replace(routed.signals, score=np.round(routed.signals.score, 1))  # ties occur
    candidates = candidate_mask(market, signals)
    candidates[: market.first_row - 1] = False  # warm-up rows decide nothing
    start, cols = scan_picks(market, signals, max_signals=7)
    ties = 0
    for t in range(len(start) - 1):
        found = np.flatnonzero(candidates[t])
        expected = sorted(found.tolist(), key=lambda c: (-signals.score[t, c], c))[:7]
        assert cols[start[t] : start[t + 1]].tolist() == expected
        ties += len(expected) - len({signals.score[t, c] for c in expected})
    assert ties > 0 and len(cols) > 100


def test_route_when_symbolic_then_each_session_judged_by_the_live_router(routed: Prepared) -> None:
    picks = routed.picks
    counts = picks.counts()
    assert counts["confirm"] > 0 and counts["veto"] > 0, counts
    # the same sessions through a freshly built live router, with the features the scan emits
    full = TrendBreakout().signals(routed.market.panel)
    router = default_router(llm_enabled=False)
    rows = np.flatnonzero(np.diff(picks.start))
    for t in rows[:: max(len(rows) // 8, 1)].tolist():
        at = picks.at(t)
        signals = pick_signals(routed.market, full, routed.kelly, "trend_breakout", t, picks.cols[at])
        assert all(s.features for s in signals), "the experts must see the scan's features"
        by_id = {r.signal.signal_id: r for r in router.route_batch(signals)}
        live = [by_id[s.signal_id] for s in signals]
        assert [VERDICTS.index(r.verdict) for r in live] == picks.verdict[at].tolist()
        assert [r.confidence for r in live] == picks.confidence[at].tolist()
        assert [r.reasoning_summary for r in live] == list(picks.summaries[at])
    assert not any(summary.startswith("abstain") and "missing features" in summary for summary in picks.summaries)


def test_backtest_when_routed_then_only_confirmed_picks_are_bought(routed: Prepared, market_dir: Path) -> None:
    result = simulate_compiled(routed)
    picks, symbols = routed.picks, routed.market.panel.symbols
    day_row = {routed.day(row): row for row in routed.rows}
    verdict_of: dict[tuple[int, str], Verdict] = {}
    for t in range(len(picks.start) - 1):
        at = picks.at(t)
        for col, verdict in zip(picks.cols[at].tolist(), picks.verdict[at].tolist(), strict=True):
            verdict_of[t, symbols[col]] = VERDICTS[verdict]
    buys = [trade for trade in result.trades if trade.side is Side.BUY]
    judged = Counter(verdict_of[day_row[trade.day] - 1, trade.symbol] for trade in buys)
    assert judged and set(judged) == {Verdict.CONFIRM}, judged
    # every fill says why: the confirming panel's summary for a buy, the exit or the cap for a sell
    assert all(t.why.startswith("confirm ") and "trend: " in t.why for t in buys)
    assert {t.why for t in result.trades if t.side is Side.SELL} <= {EXIT, TRIM}
    assert result.route == "symbolic" and result.verdicts == picks.counts()
    quant_only = prepare(BarStore(market_dir), START, END, TrendBreakout(), BacktestConfig(warmup=120))
    assert len(simulate_compiled(quant_only).trades) != len(result.trades), "the experts' vetoes changed nothing"


@pytest.mark.parametrize("name", ["momentum_composite", "mean_reversion"])
def test_route_when_strategy_is_not_trend_breakout_then_the_experts_still_judge_and_it_trades(
    market_dir: Path, name: str
) -> None:
    # the issue: momentum_composite --route symbolic gave "abstain 18351", 0 fills (its features are keyed
    # by factor label, the experts read the router's own): now the router computes what its experts read
    strategy = strategy_by_name(name)
    config = BacktestConfig(warmup=120, route="symbolic")
    prepared = prepare(BarStore(market_dir), START, END, strategy, config)
    counts = prepared.picks.counts()
    assert counts["confirm"] > 0 and counts["veto"] > 0, counts
    assert not any("missing features" in prepared.picks.summaries[k] for k in range(0, len(prepared.picks.cols), 7))
    assert simulate_compiled(prepared).metrics.fills > 0


def test_route_when_unknown_then_names_the_valid_routes() -> None:
    with pytest.raises(ValueError, match="route"):
        BacktestConfig(route="llm")  # type: ignore[arg-type]
    from alphamoe.backtest.routing import check_route

    with pytest.raises(ConfigurationError, match="unknown route 'llm'; valid routes: none, symbolic"):
        check_route("llm")


def test_fill_reasons_when_a_buy_has_no_pick_then_it_says_so(routed: Prepared) -> None:
    t = int(np.flatnonzero(np.diff(routed.picks.start))[0])
    picked = set(routed.picks.cols[routed.picks.at(t)].tolist())
    stranger = next(c for c in range(len(routed.market.panel.symbols)) if c not in picked)
    rows, cols = np.array([t + 1, t + 1]), np.array([min(picked), stranger])
    with pytest.raises(AssertionError, match="a buy without a pick behind it"):
        fill_reasons(routed, rows, cols, np.array([True, True]))
    (why,) = fill_reasons(routed, rows[:1], cols[:1], np.array([True]))
    at = routed.picks.at(t)
    assert why == routed.picks.summaries[at][routed.picks.cols[at].tolist().index(min(picked))]
