"""Live day after day ≡ the backtest (issue 15): `run_day` on successive sessions of one account equals one
backtest of the same span on the same store, every fill and each session's closing equity to the fen.

Spans of the real data (skipped when absent): the issue's own 2021-03-01 … 2021-04-13, where live sized
with Kelly p/b from its own flat-started panel and the backtest from a whole-panel trade path refreshed
from its start (26 of 50 fills the same before the fix), the January 2016 circuit-breaker crash and the
June 2015 crash, with sealed limit-down days (and, in 2015, a cash dividend on a held stock).
A strategy book (issue 19: two strategies, each signal tagged with its strategy, sized on its share of the
capital through one router, sizing and risk) holds the same equality.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from support.live_vs_backtest import run_backtest, run_live, write_real_store

from alphamoe.router.config import RouteMode

SPANS = [
    (date(2021, 3, 1), date(2021, 4, 13)),  # the span
    (date(2016, 1, 4), date(2016, 1, 15)),  # circuit breakers on 4 and 7 January: sealed limit-down days
    (date(2015, 6, 15), date(2015, 7, 10)),  # the June 2015 crash: limit-down runs, a held stock goes ex-dividend
]


@pytest.fixture(scope="module")
def real_store(real_daily_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_real_store(real_daily_dir, tmp_path_factory.mktemp("live-vs-backtest-store"))


@pytest.mark.realdata
@pytest.mark.parametrize("route", ["none", "symbolic"])
@pytest.mark.parametrize(("start", "end"), SPANS, ids=[f"{s}..{e}" for s, e in SPANS])
def test_live_day_by_day_when_same_span_and_store_then_equals_backtest(
    real_store: Path, tmp_path: Path, start: date, end: date, route: RouteMode
) -> None:
    live, backtest = run_live(real_store, tmp_path, start, end, route), run_backtest(real_store, start, end, route)

    assert live.fills, "a span without a fill proves nothing"
    assert live.fills == backtest.fills
    assert list(live.equity.items()) == list(backtest.equity.items())
    assert live.kelly == backtest.kelly  # every pick's p and b, day by day


BOOK = {"trend_breakout": 0.6, "momentum_composite": 0.4}


@pytest.mark.realdata
@pytest.mark.slow
def test_live_day_by_day_when_a_strategy_book_then_equals_backtest_of_the_book(
    real_store: Path, tmp_path: Path
) -> None:
    start, end = date(2021, 3, 1), date(2021, 4, 13)
    live = run_live(real_store, tmp_path, start, end, "symbolic", BOOK)
    backtest = run_backtest(real_store, start, end, "symbolic", BOOK)

    assert {strategy for _, strategy, _ in live.kelly} == set(BOOK), "both strategies must pick"
    assert live.fills, "a span without a fill proves nothing"
    assert live.fills == backtest.fills
    assert list(live.equity.items()) == list(backtest.equity.items())
    assert live.kelly == backtest.kelly  # every strategy's picks, with its own p and b
