"""Evidence, decision records and end-of-day reports on S3 (moto in its own process on 127.0.0.1, checking
signatures): ALPHAMOE_EVIDENCE=s3://… and ALPHAMOE_DECISIONS=s3://… work as their local folders do.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from support.deepseek_standin import DeepSeekStandin, write_sample_evidence
from support.report_day import CLOSING, OPENING, RUN, day_events
from support.report_day import DAY as REPORT_DAY
from support.s3 import BUCKET  # the s3 and s3_env fixtures: tests/integration/conftest.py

from alphamoe.decisions import open_store as open_decisions
from alphamoe.decisions.folder import ObjectDecisionStore
from alphamoe.errors import DataError
from alphamoe.events import payloads as ev
from alphamoe.evidence import EvidenceStore
from alphamoe.evidence.items import EvidenceKind
from alphamoe.evidence.store import decision_cutoff
from alphamoe.llm.settings import LlmSettings
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.run import run_day
from alphamoe.report.day import build_report
from alphamoe.report.endofday import build_end_of_day
from alphamoe.report.store import ReportStore
from alphamoe.settings import Settings
from alphamoe.storage import ObjectNotFound, open_store
from alphamoe.storage.local_s3 import LocalS3

pytestmark = pytest.mark.integration


def _upload(folder: Path, url: str) -> None:
    store = open_store(url)
    for path in folder.iterdir():
        store.put_bytes(path.name, path.read_bytes())


def _llm_orders(events: Any) -> tuple[list[str], list[tuple[str, str, str]]]:
    orders = sorted(e.payload.model_dump_json() for e in events if isinstance(e.payload, ev.OrderProposed))
    opinions = sorted(
        (r.payload.signal.symbol, o.expert, o.reasoning)
        for r in events
        if isinstance(r.payload, ev.SignalRouted)
        for o in r.payload.opinions
        if o.model is not None
    )
    return orders, opinions


def test_evidence_when_on_s3_then_same_items_as_the_local_folder(s3_env: LocalS3, tmp_path: Path) -> None:
    day = date(2024, 5, 6)
    folder = write_sample_evidence(tmp_path / "evidence", ["600519.SH", "000001.SZ"], day)
    url = f"s3://{BUCKET}/evidence/{tmp_path.name}"
    _upload(folder, url)

    remote, local = EvidenceStore.load(url), EvidenceStore.load(folder)

    assert len(remote) == len(local) > 0
    cutoff = decision_cutoff(day)
    for kind in EvidenceKind:
        for symbol in ("600519.SH", "000001.SZ", None):
            assert remote.before(kind, symbol, cutoff, limit=8) == local.before(kind, symbol, cutoff, limit=8)
    with pytest.raises(DataError, match=rf"no evidence at s3://{BUCKET}/nowhere .*news\.jsonl"):
        EvidenceStore.load(f"s3://{BUCKET}/nowhere")


def test_decisions_and_evidence_when_on_s3_then_day_recorded_there_and_replayed_without_calls(
    s3_env: LocalS3, market_dir: Path, tmp_path: Path
) -> None:
    bars = BarStore(market_dir)
    day = bars.sessions()[-1]
    evidence_url = f"s3://{BUCKET}/evidence/{tmp_path.name}"
    _upload(write_sample_evidence(tmp_path / "evidence", sorted(bars.instruments()["symbol"]), day), evidence_url)
    decisions_url = f"s3://{BUCKET}/decisions/{tmp_path.name}"

    with DeepSeekStandin() as deepseek:

        def settings(name: str, *, replay: bool) -> Settings:
            llm = LlmSettings(base_url=deepseek.base_url, evidence=evidence_url, decisions=decisions_url, replay=replay)
            return Settings(data=market_dir, runs=tmp_path / name, llm=llm)

        live = run_day(settings("live", replay=False), day)
        calls = deepseek.request_count
        replayed = run_day(settings("replay", replay=True), day, run_id=f"{live.report.run_id}-replay")

        assert calls > 0 and deepseek.request_count == calls
    orders, opinions = _llm_orders(live.events)
    assert opinions and _llm_orders(replayed.events) == (orders, opinions)
    assert not (tmp_path / "live" / "decisions").exists()  # nothing went to the local disk
    store = open_decisions(decisions_url)
    assert isinstance(store, ObjectDecisionStore) and store.location == decisions_url
    routed = [e.payload for e in live.events if isinstance(e.payload, ev.SignalRouted)]
    assert store.route_symbols(live.report.run_id) == sorted({r.signal.symbol for r in routed})
    trail = store.get_route(live.report.run_id, routed[0].signal.symbol)
    assert trail is not None and trail.routed == routed[0]
    keys = [o.call_key for r in routed for o in r.opinions if o.call_key]
    record = store.get_call(keys[0])
    assert record is not None and record.reasoning and record.key == keys[0]
    (spent,) = store.store.list("spend/")  # the budget's ledger, by calendar day in Shanghai
    tokens, cost = store.spend(date.fromisoformat(spent.removeprefix("spend/").removesuffix(".json")))
    assert tokens > 0 and cost > 0


def test_report_store_when_s3_then_saved_read_back_and_located_by_url(s3_env: LocalS3, tmp_path: Path) -> None:
    events = day_events()
    day_report = build_report(events, CLOSING, run_id=RUN, calendar="exchange_calendars XSHG", stage_ms={})
    report = build_end_of_day(day_report, events, opening=OPENING, latency=[], source="in-process")
    url = f"s3://{BUCKET}/reports/{tmp_path.name}"
    store = ReportStore.open(url)

    keys = store.save(report)

    assert ReportStore.open(url).load(REPORT_DAY, RUN) == report
    assert open_store(url).list() == sorted(keys)
    assert store.where(REPORT_DAY) == f"{url}/{REPORT_DAY.isoformat()}/end_of_day.html"
    with pytest.raises(ObjectNotFound, match=rf"in {url}"):
        store.load(date(2001, 1, 2))
