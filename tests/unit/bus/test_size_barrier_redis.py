"""Size's batch barrier in Redis: two replicas share one batch and propose the in-process orders exactly once;
a batch that lost a signal is sized after the timeout with what it has, and the orders say so."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import pytest
from support.keys import APPROVAL_SECRET

from alphamoe.events import Envelope, event_type_of
from alphamoe.events import payloads as ev
from alphamoe.kv.client import connect
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.barrier import RedisBarrier
from alphamoe.pipeline.factory import build_stage
from alphamoe.pipeline.run import run_day
from alphamoe.pipeline.stages.size import SizeStage
from alphamoe.settings import Settings

P = TypeVar("P", bound=ev.Payload)


@pytest.fixture(scope="module")
def day_events(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Envelope[Any]]:
    day = BarStore(market_dir).sessions()[-2]
    settings = Settings(
        data=market_dir, runs=tmp_path_factory.mktemp("size-ref"), approval_secret=APPROVAL_SECRET.decode()
    )
    return list(run_day(settings, day).events)


def _size(market_dir: Path, runs: Path, redis_url: str) -> SizeStage:
    stage = build_stage("size", Settings(data=market_dir, runs=runs), secret=b"")
    assert isinstance(stage, SizeStage)
    stage.barrier = RedisBarrier(connect(redis_url), ttl_s=600)
    return stage


def _of(events: list[Envelope[Any]], model: type[ev.Payload]) -> list[Envelope[Any]]:
    return [e for e in events if e.type == event_type_of(model)]


def _payloads(events: list[Envelope[Any]], model: type[P]) -> list[P]:
    return [e.payload for e in events if isinstance(e.payload, model)]


def test_size_when_batch_split_over_two_replicas_then_one_proposes_the_in_process_orders(
    day_events: list[Envelope[Any]], market_dir: Path, tmp_path: Path, redis_url: str
) -> None:
    one, two = _size(market_dir, tmp_path, redis_url), _size(market_dir, tmp_path, redis_url)
    inputs = [*_of(day_events, ev.SignalRouted), *_of(day_events, ev.ScanCompleted)]
    outputs = [out for i, e in enumerate(reversed(inputs)) for out in (one if i % 2 else two).handle(e)]
    sized = [*_of(day_events, ev.OrderProposed), *_of(day_events, ev.SizingCompleted)]
    assert sorted(o.id for o in outputs) == sorted(e.id for e in sized)
    closer = inputs[0]  # the last to arrive completed the batch
    assert one.barrier.close(f"size:{one.accounts.account_id}:{closer.run_id}", "late") == closer.id
    assert sorted(o.id for o in one.handle(closer)) == sorted(o.id for o in outputs)  # redelivered closer recomputes
    assert two.handle(inputs[1]) == []  # any other duplicate proposes nothing


def test_size_when_signal_lost_then_timeout_proposes_with_what_it_has_and_says_so(
    day_events: list[Envelope[Any]], market_dir: Path, tmp_path: Path, redis_url: str
) -> None:
    stage = _size(market_dir, tmp_path, redis_url)
    routed = _of(day_events, ev.SignalRouted)
    for envelope in [*routed[1:], *_of(day_events, ev.ScanCompleted)]:
        assert stage.handle(envelope) == []
    assert stage.expire() == []  # not yet timed out
    late = stage.expire(now=9e12)
    orders, [summary] = _payloads(late, ev.OrderProposed), _payloads(late, ev.SizingCompleted)
    assert orders and all("batch barrier timed out" in o.reasons[-1] for o in orders)
    assert f"{len(routed) - 1} of {len(routed)} routed signals" in orders[0].reasons[-1]
    assert summary.proposed == len(orders) and "batch barrier timed out" in summary.notes[-1]
    assert stage.expire(now=9e12) == [] and stage.handle(routed[0]) == []  # sized once, a late signal changes nothing
