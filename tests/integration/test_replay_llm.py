"""Replay of a run with LLM experts: the replayed events say `replayof`, so the route function answers from the
decision record, whatever its settings (here: live, pointed at the DeepSeek stand-in that counts requests).
In process (the stages wired as the fabric wires them) and through the local cluster (Redis, bridge, HTTP).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from support.deepseek_standin import DeepSeekStandin, write_sample_evidence
from support.keys import APPROVAL_SECRET, EVENT_KEY

from alphamoe.broker.service import SOURCE as BROKER_SOURCE
from alphamoe.bus import codec
from alphamoe.bus.memory import InMemoryBus
from alphamoe.bus.redis import RedisBus
from alphamoe.bus.replay import export_run, read_export, replay, replay_roots
from alphamoe.cluster.day import run_day_on_fabric
from alphamoe.cluster.supervisor import LocalCluster
from alphamoe.events import Envelope, event_type_of
from alphamoe.events import payloads as ev
from alphamoe.events.envelope import from_http, to_http
from alphamoe.llm.settings import LlmSettings
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.factory import build_stages
from alphamoe.pipeline.run import SUBSCRIPTIONS, run_day
from alphamoe.pipeline.stages.common import derive
from alphamoe.settings import Settings
from alphamoe.types import Verdict

pytestmark = pytest.mark.integration
SECRET = APPROVAL_SECRET.decode()
ORDER_TYPES = {event_type_of(m) for m in (ev.OrderProposed, ev.OrderApproved, ev.OrderRejected, ev.OrderFilled)}


@pytest.fixture(scope="module")
def standin() -> Iterator[DeepSeekStandin]:
    with DeepSeekStandin() as server:
        yield server


@pytest.fixture(scope="module")
def day_and_evidence(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[date, Path]:
    store = BarStore(market_dir)
    day = store.sessions()[-1]
    folder = write_sample_evidence(tmp_path_factory.mktemp("evidence"), sorted(store.instruments()["symbol"]), day)
    return day, folder


def _settings(market_dir: Path, runs: Path, decisions: Path, evidence: Path, base_url: str) -> Settings:
    llm = LlmSettings(base_url=base_url, evidence=evidence, decisions=str(decisions), backoff_s=0.001)
    return Settings(data=market_dir, runs=runs, llm=llm, approval_secret=SECRET, event_key=EVENT_KEY.decode())


def _replay_in_process(settings: Settings, roots: Sequence[Envelope[Any]]) -> list[Envelope[Any]]:
    """Deliver `roots` to freshly built functions, wired as the fabric wires them, and return the run's log."""
    stages = build_stages(settings, secret=SECRET.encode())
    bus = InMemoryBus()
    for name, types in SUBSCRIPTIONS.items():
        if name == "route":
            bus.subscribe_batch(types[0], stages.route.route_many)
            continue
        for event_type in types:
            bus.subscribe(event_type, stages.by_name(name).handle)
    for root in roots:
        bus.publish(root)
        bus.drain()
    return bus.log


def _orders(events: Sequence[Envelope[Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for e in events:
        if e.type in ORDER_TYPES:
            # an approval's expiry (and so its signature) is the time it was signed: compare what it approved
            terms = e.payload.order if isinstance(e.payload, ev.OrderApproved) else e.payload
            found.setdefault(e.type, []).append(terms.model_dump_json())
    return {k: sorted(v) for k, v in found.items()}


def _llm_opinions(events: Sequence[Envelope[Any]]) -> list[tuple[str, str, str, str]]:
    routed = [e.payload for e in events if isinstance(e.payload, ev.SignalRouted)]
    return sorted(
        (r.signal.symbol, o.expert, o.verdict.value, o.reasoning)
        for r in routed
        for o in r.opinions
        if o.model is not None
    )


def test_replay_when_llm_run_replayed_through_live_functions_then_same_orders_and_zero_http_calls(
    standin: DeepSeekStandin, market_dir: Path, day_and_evidence: tuple[date, Path], tmp_path: Path
) -> None:
    day, evidence = day_and_evidence
    decisions = tmp_path / "decisions"
    standin.reset()
    original = run_day(_settings(market_dir, tmp_path / "original", decisions, evidence, standin.base_url), day)
    calls = standin.request_count
    assert calls > 0
    assert any(e.type == event_type_of(ev.OrderProposed) for e in original.events)
    record = [codec.structured(codec.encode(e)) for e in original.events]  # the export's JSONL documents

    roots = replay_roots(record, "replayed-llm-1", key=EVENT_KEY)
    assert [r.replay_of for r in roots] == [original.report.run_id] * len(roots) == [original.events[0].run_id] * 2
    # the replaying functions are configured live, as a running cluster is: the events alone say "from the record"
    replayed = _replay_in_process(
        _settings(market_dir, tmp_path / "replay", decisions, evidence, standin.base_url), roots
    )

    assert standin.request_count == calls
    assert {e.run_id for e in replayed} == {"replayed-llm-1"}
    # every stage's output keeps the mark (the broker's order.* reports, same source, are built outside derive)
    assert {e.replay_of for e in replayed if e.source != BROKER_SOURCE} == {original.report.run_id}
    assert _orders(replayed) == _orders(original.events)
    opinions = _llm_opinions(replayed)
    assert opinions and opinions == _llm_opinions(original.events)
    routed = [e.payload for e in replayed if isinstance(e.payload, ev.SignalRouted)]
    assert all((o.outcome or "").startswith("replayed") for r in routed for o in r.opinions if o.model is not None)


def test_replay_when_record_lacks_the_calls_then_llm_experts_abstain_without_calling(
    standin: DeepSeekStandin, market_dir: Path, day_and_evidence: tuple[date, Path], tmp_path: Path
) -> None:
    day, evidence = day_and_evidence
    settings = _settings(market_dir, tmp_path / "original", tmp_path / "decisions", evidence, standin.base_url)
    standin.reset()
    original = run_day(settings, day)
    calls = standin.request_count
    shutil.rmtree(tmp_path / "decisions" / "calls")  # the record lost every answer
    signals = [e for e in original.events if isinstance(e.payload, ev.SignalGenerated)]
    assert signals
    marked = [dataclasses.replace(e, run_id="replayed-llm-2", replay_of=e.run_id) for e in signals]
    stage = build_stages(settings, secret=SECRET.encode()).route

    routed = [o.payload for o in stage.route_many(marked)]

    assert standin.request_count == calls
    llm = [o for r in routed for o in r.opinions if o.model is not None]
    assert llm and all(o.verdict is Verdict.ABSTAIN and o.outcome == "not_recorded" for o in llm)
    assert all(o.replay_of == signals[0].run_id for o in stage.route_many(marked))
    # the same events without the mark are a live run: the functions call the model again
    stage.route_many(signals[:1])
    assert standin.request_count > calls


def test_replayof_when_sent_over_http_then_kept_and_derived_events_keep_it(
    market_dir: Path, day_and_evidence: tuple[date, Path], tmp_path: Path
) -> None:
    day, _ = day_and_evidence
    opened = replay_roots(
        [codec.structured(codec.encode(e)) for e in run_day(Settings(data=market_dir, runs=tmp_path), day).events],
        "replayed-llm-3",
        key=EVENT_KEY,
    )[0]
    headers, body = to_http(opened)
    assert headers["ce-replayof"] == opened.replay_of
    received = from_http(headers, body)
    assert received == opened
    assert derive(received, received.payload, "scan").replay_of == opened.replay_of


# ---- through the local cluster: Redis, the bridge, five function processes ---------------------------------


@pytest.fixture(scope="module")
def llm_cluster(
    standin: DeepSeekStandin,
    market_dir: Path,
    day_and_evidence: tuple[date, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalCluster]:
    folder = tmp_path_factory.mktemp("llm-cluster")
    env = {
        "ALPHAMOE_LLM_BASE_URL": standin.base_url,
        "ALPHAMOE_EVIDENCE": str(day_and_evidence[1]),
        "ALPHAMOE_DECISIONS": str(folder / "decisions"),
        "ALPHAMOE_LLM_BACKOFF_S": "0.001",
    }
    settings = Settings(data=market_dir, runs=folder / "runs", approval_secret=SECRET)
    running = LocalCluster(folder, settings, env=env).up(timeout_s=120)
    try:
        yield running
    finally:
        running.down()


def test_replay_when_llm_run_replayed_through_the_cluster_then_same_orders_and_zero_http_calls(
    llm_cluster: LocalCluster, standin: DeepSeekStandin, day_and_evidence: tuple[date, Path], tmp_path: Path
) -> None:
    settings = Settings(
        data=llm_cluster.settings.data,
        runs=llm_cluster.settings.runs_dir,
        redis_url=llm_cluster.redis_url,
        approval_secret=SECRET,
        event_key=llm_cluster.keys.event_key,
    )
    standin.reset()
    original = run_day_on_fabric(settings, day_and_evidence[0], timeout_s=120)
    calls = standin.request_count
    assert calls > 0 and _llm_opinions(original.events)
    bus = RedisBus.from_url(llm_cluster.redis_url)
    export_run(bus, original.run_id, tmp_path / "run.jsonl")
    record = read_export(tmp_path / "run.jsonl")
    proposals = {event_type_of(ev.OrderProposed), event_type_of(ev.OrderApproved)}
    key = llm_cluster.keys.event_key.encode()  # the cluster's functions verify the replay's run tokens with it

    again = replay(bus, record, "cluster-replay-1", key=key, until="order.approved", timeout_s=120)

    assert standin.request_count == calls
    assert {e.replay_of for e in again} == {original.run_id}
    assert _orders([e for e in again if e.type in proposals]) == _orders(
        [e for e in original.events if e.type in proposals]
    )
    assert _llm_opinions(again) == _llm_opinions(original.events)

    shutil.rmtree(llm_cluster.directory / "decisions" / "calls")  # the record lost every answer
    lost = replay(bus, record, "cluster-replay-2", key=key, until="signal.routed", timeout_s=120)

    assert standin.request_count == calls  # the live-configured route function still asked nobody
    llm = [o for e in lost if isinstance(e.payload, ev.SignalRouted) for o in e.payload.opinions if o.model]
    assert llm and all(o.verdict is Verdict.ABSTAIN and o.outcome == "not_recorded" for o in llm)
