"""Issue 16 item 7: an unattended season. `cluster up --schedule` with an accelerated clock runs five sessions by
itself on the synthetic market: the evening update appends each day from a stand-in vendor (down the first two
attempts one evening: retried), market.open passes the freshness gate, the functions trade the day the store
lacks yet on replayed quotes (its opening rows), market.close feeds the session and snapshots the account, the
report is written, then the next day. Its fills, closing equity, cash and positions equal, to the fen, the same
sessions run with `run_day` in process on the final store.

Before: no accelerated clock (a past "now" would issue SESSION tokens risk refuses), no quotes in the cluster
(a day the store lacks has no bars for the scan or the paper broker), and functions that never saw the days the
evening update added (their store cached its sessions). The benchmark (benchmarks/bench_season.py) runs the
long season with all three faults.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.live_vs_backtest import differences
from support.season import account_differences, run_in_process, run_season

from alphamoe.market.bars import BarStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_season_when_clock_runs_five_sessions_with_a_vendor_outage_then_account_equals_in_process(
    market_dir: Path, tmp_path: Path
) -> None:
    days = BarStore(market_dir).sessions()[-5:]
    outage = {days[2]: 2}  # the vendor is down the first two attempts of one evening
    season = run_season(market_dir, tmp_path / "season", days, seconds_per_session=1.0, outages=outage)

    assert season.vendor_failures == [days[2], days[2]]
    assert any("after 3 attempt(s)" in line for line in season.records[days[2]]), season.records[days[2]]
    for day in days:  # every session opened, closed and brought in by the evening update, by the clock alone
        steps = [line.split(":")[0] for line in season.records[day]]
        assert steps == [
            "market.open claimed",
            "market.close claimed",
            "data.update claimed",
            "data.update ready",
        ], season.records[day]
    assert BarStore(tmp_path / "season" / "store").sessions()[-5:] == days  # the evening updates appended them

    in_process, account = run_in_process(tmp_path / "season" / "store", tmp_path / "in-process", days)
    assert season.span.fills, "a season without a fill proves nothing"
    assert not any(differences(season.span, in_process).values()), differences(season.span, in_process)
    assert sorted(season.span.fills) == sorted(in_process.fills)  # a day's fills arrive in any order
    assert season.span.equity == in_process.equity
    assert account_differences(season.account, account) == []
