"""The RTO drill, short: SIGKILL execute with orders in flight, restart it, and nothing is lost or sent twice.

Once with the broker in its own process (behind the gateway) and once with the in-process paper broker,
which dies with execute and is rebuilt from the journal. The benchmark (benchmarks/bench_rto.py) runs the
same drills with 50 kills each for the p50/p99 figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alphamoe.broker.drill import DrillBroker, run_drill

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.parametrize("broker", ["gateway", "paper"])
def test_drill_when_execute_killed_three_times_then_no_order_lost_or_doubled_and_back_in_seconds(
    market_dir: Path, tmp_path: Path, broker: DrillBroker
) -> None:
    result = run_drill(market_dir, tmp_path, kills=3, orders=90, seed=11, max_run_s=0.5, broker=broker)
    assert result.lost == []
    assert result.doubled == []
    assert result.mismatched == []
    assert sum(result.states.values()) == 90
    assert len(result.rto_s) == 3
    # the goal is 10 s p99 (benchmark); a loaded test machine gets twice that before this fails
    assert max(result.rto_s) < 20, result.rto_s


@pytest.mark.parametrize("broker", ["gateway", "paper"])
def test_drill_when_three_accounts_killed_together_then_each_recovers_nothing_lost_or_doubled(
    market_dir: Path, tmp_path: Path, broker: DrillBroker
) -> None:
    # issue 20: one execute per account (one Service per broker session); every kill takes all three down
    result = run_drill(market_dir, tmp_path, kills=2, orders=100, seed=5, max_run_s=0.5, broker=broker, accounts=3)
    assert result.lost == [] and result.doubled == [] and result.mismatched == []
    assert sum(result.states.values()) == 300
    assert len(result.rto_s) == 2 * 3  # each account's execute back to ready after each kill
    assert max(result.rto_s) < 20, result.rto_s
