"""The RTO drill, short: SIGKILL execute with orders in flight, restart it, and nothing is lost or sent twice.

The benchmark (benchmarks/bench_rto.py) runs the same drill with 50 kills for the p50/p99 figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alphamoe.broker.drill import run_drill

pytestmark = pytest.mark.integration


def test_drill_when_execute_killed_three_times_then_no_order_lost_or_doubled_and_back_in_seconds(
    market_dir: Path, tmp_path: Path
) -> None:
    result = run_drill(market_dir, tmp_path, kills=3, orders=45, seed=11, max_run_s=0.5)
    assert result.lost == []
    assert result.doubled == []
    assert result.mismatched == []
    assert sum(result.states.values()) == 45
    assert len(result.rto_s) == 3
    # the goal is 10 s p99 (benchmark); a loaded test machine gets twice that before this fails
    assert max(result.rto_s) < 20, result.rto_s
