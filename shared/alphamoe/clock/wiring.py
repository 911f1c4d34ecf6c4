"""Build the clock from settings: Redis for claims, the Redis Streams bus, and the report at the close."""

from __future__ import annotations

from datetime import UTC, datetime

from alphamoe.bus.redis import RedisBus
from alphamoe.clock.ledger import ClockRecord, SessionLedger
from alphamoe.clock.trigger import AfterClaim, Clock, Now
from alphamoe.security.keys import require_key
from alphamoe.settings import Settings


def system_now() -> datetime:
    return datetime.now(UTC)


def report_location(settings: Settings) -> str:
    return settings.clock.report_store or str(settings.runs_dir / "reports")


def write_report_after_close(
    settings: Settings, bus: RedisBus, ledger: SessionLedger, *, timeout_s: float = 300.0
) -> AfterClaim:
    """Return the hook that waits for the fabric to finish the close, then writes the end-of-day report.

    It reads execute's closing snapshot from this machine's runs folder (a local cluster); where execute
    keeps its own disk, run `alphamoe report --date D --build` beside it instead.
    """
    from alphamoe.bus.progress import wait_quiet
    from alphamoe.report.assemble import from_streams
    from alphamoe.report.store import ReportStore

    def hook(record: ClockRecord) -> None:
        assert record.run_id is not None
        wait_quiet(bus.client, timeout_s=timeout_s)  # execute has cancelled, reconciled and snapshotted
        report = from_streams(
            settings, bus, record.run_id, record.trading_day, clock=ledger.records(record.trading_day)
        )
        ReportStore.open(report_location(settings)).save(report)

    return hook


def build_clock(settings: Settings, *, now: Now = system_now, report: bool = True) -> Clock:
    """Return the clock of a cluster: claims and events in the Redis of the settings (or of `cluster up`)."""
    from alphamoe.bus.triggers import day_run_id, fabric_bus

    key = require_key(settings.event_key, "ALPHAMOE_EVENT_KEY")  # the ticks' run tokens are signed with it
    bus = fabric_bus(settings)
    ledger = SessionLedger(bus.client, settings.clock, run_id_of=lambda day: day_run_id(settings, day))
    hook = write_report_after_close(settings, bus, ledger) if report else None
    return Clock(settings.clock, ledger, bus, account_id=settings.account_id, now=now, event_key=key, after_close=hook)
