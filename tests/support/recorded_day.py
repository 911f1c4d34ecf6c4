"""A finished trading day the read-only verbs work on: `alphamoe status`, `risk status`, `report`, `explain`.

The market's last session run in process (the day report, the decision record and the end-of-day report in the
store, as `alphamoe report --run` leaves them), the day's events on a real Redis (what `status` lists) and the
kill switch set (what `risk status` reads). Used by tests/unit/cli and benchmarks/bench_cli.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from alphamoe.bus.redis import RedisBus
from alphamoe.cli.common import load_settings
from alphamoe.kv.client import connect
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.run import run_day
from alphamoe.report.assemble import from_day_run
from alphamoe.report.store import ReportStore, report_location
from alphamoe.risk.state import TradingState
from alphamoe.risk.switch import RedisSwitch

SWITCH_REASON = "recorded day"


@dataclass(frozen=True)
class RecordedDay:
    day: date
    run_id: str
    symbol: str
    """A symbol of the run that reached sizing when one did (an order), else a routed one."""
    env: dict[str, str]
    """The ALPHAMOE_* variables that point a verb at this day: data, runs, Redis."""

    def verbs(self) -> dict[str, list[str]]:
        """Each read-only verb's arguments on this day."""
        return {
            "status": ["status"],
            "risk status": ["risk", "status"],
            "report": ["report", "--date", self.day.isoformat()],
            "explain": ["explain", self.run_id, self.symbol],
        }


def record_day(market: Path, runs: Path, redis_url: str) -> RecordedDay:
    """Run the last session of the bar store at `market` into `runs` and publish it to `redis_url`."""
    settings = load_settings(market, runs=runs, redis_url=redis_url)
    day = BarStore(market).sessions()[-1]
    run = run_day(settings, day)
    ReportStore.open(report_location(settings)).save(from_day_run(settings, run))
    RedisBus.from_url(redis_url, settings.fabric).publish_all(run.events)
    at = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
    RedisSwitch(connect(redis_url)).set(settings.account_id, TradingState.REDUCING, SWITCH_REASON, at=at)
    symbol = (run.report.orders or run.report.routed)[0].symbol
    env = {"ALPHAMOE_DATA": str(market), "ALPHAMOE_RUNS": str(runs), "ALPHAMOE_REDIS_URL": redis_url}
    return RecordedDay(day=day, run_id=run.report.run_id, symbol=symbol, env=env)
