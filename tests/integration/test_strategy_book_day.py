"""A live day with a strategy book: two strategies scanned, judged by one router, sized on their capital split.

The issue's finding: `ALPHAMOE_SCAN__STRATEGY=momentum_composite alphamoe run` gave signals that were all
"abstain (missing features: ma5_over_ma20, …)" and no order. The router now computes its experts' features.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from alphamoe.market.bars import BarStore
from alphamoe.pipeline.factory import build_stages
from alphamoe.pipeline.run import run_day, with_event_key
from alphamoe.scan.config import ScanSettings
from alphamoe.settings import Settings
from alphamoe.types import Side, Verdict


@pytest.mark.slow
def test_run_day_when_momentum_composite_then_the_experts_judge_and_it_orders(market_dir: Path, tmp_path: Path) -> None:
    settings = with_event_key(
        Settings(data=market_dir, runs=tmp_path, scan=ScanSettings(strategy="momentum_composite"))
    )
    reports = []
    for day in BarStore(market_dir).sessions()[-40::8]:
        reports.append(run_day(settings, day, stages=build_stages(settings, secret=secrets.token_bytes(32))).report)
    routed = [r for report in reports for r in report.routed]
    assert routed, "no momentum_composite signal on these days: the test would prove nothing"
    assert not [r for r in routed if "missing features" in r.reasoning_summary]
    assert {r.verdict for r in routed} & {Verdict.CONFIRM, Verdict.VETO}
    assert any(o.side is Side.BUY for report in reports for o in report.orders)


@pytest.mark.slow
def test_run_day_when_a_strategy_book_then_one_batch_of_both_sized_on_their_share(
    market_dir: Path, tmp_path: Path
) -> None:
    book = {"trend_breakout": 0.5, "momentum_composite": 0.4}
    settings = with_event_key(Settings(data=market_dir, runs=tmp_path, scan=ScanSettings(strategies=book)))
    reports = []
    for day in BarStore(market_dir).sessions()[-40::8]:
        reports.append(run_day(settings, day, stages=build_stages(settings, secret=secrets.token_bytes(32))).report)
    assert {r.strategy for r in reports} == {"trend_breakout+momentum_composite"}
    assert sum(len(r.signals) for r in reports) == sum(len(r.routed) for r in reports) > 0
    buys = [o for report in reports for o in report.orders if o.side is Side.BUY]
    assert buys, "no buy on these days: the split would not be shown"
    shares = {name for o in buys for name in book if any(f"{name} capital {book[name]}" in r for r in o.reasons)}
    assert shares, [o.reasons for o in buys[:2]]
