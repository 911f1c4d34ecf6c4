"""Build the clock from settings: Redis for claims, the Redis Streams bus, and the report at the close."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from alphamoe.bus.redis import RedisBus
from alphamoe.clock.ledger import ClockRecord, SessionLedger
from alphamoe.clock.runner import Sleep
from alphamoe.clock.trigger import AfterClaim, Clock, DataStep, EvidenceOutcome, Now, UpdateOutcome
from alphamoe.data.feeds.protocol import MarketSource
from alphamoe.data.freshness import require_fresh
from alphamoe.evidence.update import EvidenceSource
from alphamoe.market.bars import BarStore
from alphamoe.report.store import report_location as report_location  # re-exported: it lives with the store
from alphamoe.security.keys import require_key
from alphamoe.settings import Settings


def system_now() -> datetime:
    return datetime.now(UTC)


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


def data_step(
    settings: Settings,
    source: MarketSource | None = None,
    *,
    sleep: Sleep = time.sleep,
    evidence: EvidenceSource | None = None,
) -> DataStep:
    """Return the evening job: bring the bar store up to the day's close from `source` (default: the settings'),
    then the experts' evidence archive from `evidence` (default: the settings' vendor when it has evidence,
    tushare with a token; else none)."""
    from alphamoe.data.update import open_source, update_store
    from alphamoe.evidence.sources import EVIDENCE_SOURCES, evidence_root, open_evidence_source
    from alphamoe.evidence.update import catch_up_evidence

    ds = settings.data_source

    def update(day: date) -> UpdateOutcome:
        vendor = source or open_source(ds.name, ds)
        return update_store(settings.data, vendor, until=day, s3=settings.s3)

    if evidence is None and (ds.name not in EVIDENCE_SOURCES or ds.token is None):
        return DataStep(update, sleep)

    def fill_evidence(day: date) -> EvidenceOutcome:
        vendor = evidence or open_evidence_source(ds.name, ds, sleep=sleep)
        return catch_up_evidence(evidence_root(settings.data, settings.llm.evidence), vendor, day)

    return DataStep(update, sleep, evidence=fill_evidence)


def evening_step(
    settings: Settings, source: MarketSource | None = None, *, sleep: Sleep = time.sleep
) -> DataStep | None:
    """Return the data step when a clock time and a usable source (`source`, else the settings') are
    configured, else None (no step)."""
    ds = settings.data_source
    usable = {"tushare": ds.token is not None, "tdx": ds.tdx_dir is not None, "files": ds.files_dir is not None}
    if settings.clock.data_step is None or (source is None and not usable[ds.name]):
        return None
    return data_step(settings, source, sleep=sleep)


def build_clock(
    settings: Settings, *, now: Now = system_now, report: bool = True, data: DataStep | None = None
) -> Clock:
    """Return the clock of a cluster: claims and events in the Redis of the settings (or of `cluster up`).

    Every market.open passes the freshness gate on the settings' bar store; `data` adds the evening step.
    """
    from alphamoe.bus.triggers import day_run_id, fabric_bus

    key = require_key(settings.event_key, "ALPHAMOE_EVENT_KEY")  # the ticks' run tokens are signed with it
    bus = fabric_bus(settings)
    ledger = SessionLedger(bus.client, settings.clock, run_id_of=lambda day: day_run_id(settings, day))
    hook = write_report_after_close(settings, bus, ledger) if report else None

    def fresh(day: date) -> None:
        require_fresh(BarStore(settings.data, s3=settings.s3), day, ledger.calendar)

    return Clock(
        settings.clock,
        ledger,
        bus,
        account_id=settings.account_id,
        now=now,
        event_key=key,
        after_close=hook,
        fresh=fresh,
        data=data,
    )


def cluster_clock(
    settings: Settings, *, now: Now = system_now, source: MarketSource | None = None, sleep: Sleep = time.sleep
) -> Clock:
    """Return the clock `cluster up --schedule` runs: the report after the close, the evening step when set.

    An accelerated clock passes its simulated `now` and `sleep` (the data step's waits between attempts);
    `source` is the evening update's vendor (None: ALPHAMOE_DATA_SOURCE__*).
    """
    return build_clock(settings, now=now, data=evening_step(settings, source, sleep=sleep))
