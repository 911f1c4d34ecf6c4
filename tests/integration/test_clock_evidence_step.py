"""Issue 16 items 3 + 4: the evening data step fills the experts' evidence after the bars, on a real Redis.

The bars' update is a hand-written stand-in (it reports the day admitted); the evidence comes over real HTTP
from the tushare stand-in (support.tushare_standin) serving support.tushare_evidence's rows, opened from the
settings as a deployment opens it (`clock.wiring.data_step`), into the archive beside the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from pathlib import Path

import pytest
import redis
from support.clock import CFG, FakeTime, shanghai
from support.keys import EVENT_KEY
from support.tushare_evidence import DAY, evidence_tables
from support.tushare_standin import TOKEN, TushareStandin

from alphamoe.bus.codec import decode
from alphamoe.bus.redis import RedisBus, stream_of
from alphamoe.clock.ledger import ClaimStatus, SessionLedger
from alphamoe.clock.schedule import TickKind
from alphamoe.clock.trigger import Clock, DataStep
from alphamoe.clock.wiring import data_step
from alphamoe.data.feeds.config import DataSourceSettings
from alphamoe.data.update import UpdateReport
from alphamoe.events.payloads import AlertRaised, DataReady, Payload, event_type_of
from alphamoe.evidence import EvidenceKind, decision_cutoff
from alphamoe.evidence.archive import EvidenceArchive
from alphamoe.evidence.window import ArchiveWindow
from alphamoe.settings import Settings

pytestmark = pytest.mark.integration

BEFORE = date(2024, 4, 30)  # the session before DAY (05-01 … 05-05: Labour Day)


def bars_admitted(day: date) -> UpdateReport:
    return UpdateReport(
        source="stand-in", target=day, days=[day], admitted=[day], quarantined={}, skipped=[], seconds=0.1
    )


def events(bus: RedisBus, kind: type[Payload]) -> list[Payload]:
    return [decode(f).payload for _, f in bus.client.xrange(stream_of(event_type_of(kind)))]


@pytest.fixture
def tushare() -> Iterator[TushareStandin]:
    with TushareStandin(evidence_tables()) as server:
        yield server


def evening(redis_url: str, at: FakeTime, settings: Settings) -> tuple[Clock, RedisBus]:
    """The clock with the deployment's evidence step (from the settings) after a bars stand-in."""
    wired = data_step(settings, sleep=at.sleep)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    bus = RedisBus(client)
    step = DataStep(bars_admitted, at.sleep, evidence=wired.evidence)
    return Clock(CFG, SessionLedger(client, CFG), bus, account_id="paper", now=at.now, event_key=EVENT_KEY,
                 data=step), bus  # fmt: skip


def settings_for(tmp_path: Path, tushare: TushareStandin, *, token: str | None = TOKEN) -> Settings:
    source = DataSourceSettings.model_validate(
        {"name": "tushare", "token": token, "base_url": tushare.base_url, "calls_per_minute": 0, "retries": 1}
    )
    return Settings(data=tmp_path / "market", runs=tmp_path / "runs", data_source=source)


def news_titles(archive_root: Path, day: date) -> list[str]:
    window = ArchiveWindow(EvidenceArchive(archive_root))
    return [i.title for i in window.before(EvidenceKind.NEWS, "600000.SH", decision_cutoff(day), limit=10)]


def test_data_step_when_tushare_configured_then_evidence_since_last_evening_is_fetched_and_counted(
    redis_url: str, tushare: TushareStandin, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, tushare)
    at = FakeTime(shanghai(BEFORE, time(16, 30)))
    the_clock, bus = evening(redis_url, at, settings)

    first = the_clock.fire(TickKind.DATA_UPDATE, trigger="schedule")
    at.set(DAY, time(16, 30))
    second = the_clock.fire(TickKind.DATA_UPDATE, trigger="schedule")

    assert first.status is ClaimStatus.READY and second.status is ClaimStatus.READY
    ready = [e for e in events(bus, DataReady) if isinstance(e, DataReady)]
    assert [(r.trading_day, r.evidence_added) for r in ready] == [(BEFORE, 0), (DAY, 8)]
    assert "evidence 2024-04-30 … 2024-05-06: 8 item(s) added" in second.note
    # the holiday's days were fetched too (news comes out on holidays): what was public before DAY's 09:00
    assert news_titles(tmp_path / "market" / "evidence", DAY) == [
        "浦发银行2023年年度权益分派实施公告",
        "浦发银行董事会决议公告",
    ]
    assert events(bus, AlertRaised) == []


def test_data_step_when_evidence_vendor_fails_then_bars_ready_alert_raised_and_next_evening_fetches_again(
    redis_url: str, tushare: TushareStandin, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, tushare)
    at = FakeTime(shanghai(BEFORE, time(16, 30)))
    the_clock, bus = evening(redis_url, at, settings)
    the_clock.fire(TickKind.DATA_UPDATE, trigger="schedule")  # fetched through BEFORE
    tushare.locked = frozenset({"anns_d"})  # the account's points lapse for an evening
    after = date(2024, 5, 6)
    at.set(after, time(16, 30))

    failed = the_clock.fire(TickKind.DATA_UPDATE, trigger="schedule")

    assert failed.status is ClaimStatus.READY  # the bars are in: D+1 may open
    assert "evidence fetch through 2024-05-06 failed" in failed.note
    [alert] = events(bus, AlertRaised)
    assert isinstance(alert, AlertRaised) and alert.code == "EVIDENCE_UPDATE_FAILED"
    assert [e.evidence_added for e in events(bus, DataReady) if isinstance(e, DataReady)] == [0, None]
    assert EvidenceArchive(tmp_path / "market" / "evidence").fetched_through("tushare") == BEFORE

    tushare.locked = frozenset()
    nxt = date(2024, 5, 7)
    at.set(nxt, time(16, 30))
    retried = the_clock.fire(TickKind.DATA_UPDATE, trigger="schedule")

    assert "evidence 2024-04-30 … 2024-05-07: 8 item(s) added" in retried.note  # the missed days again
    assert EvidenceArchive(tmp_path / "market" / "evidence").fetched_through("tushare") == nxt


def test_data_step_when_no_evidence_source_then_no_evidence_step(tushare: TushareStandin, tmp_path: Path) -> None:
    assert data_step(settings_for(tmp_path, tushare, token=None)).evidence is None
    local = DataSourceSettings.model_validate({"name": "files", "files_dir": tmp_path})
    files = Settings(data=tmp_path / "market", runs=tmp_path / "runs", data_source=local)
    assert data_step(files).evidence is None
