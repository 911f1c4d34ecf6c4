"""DESIGN.md §4: the same signals give the same orders, whatever order the events arrive in."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from support.keys import APPROVAL_SECRET, EVENT_KEY

from alphamoe.events import Envelope, event_type_of
from alphamoe.events import payloads as ev
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.factory import build_stages
from alphamoe.pipeline.run import DayRun, run_day
from alphamoe.settings import Settings

SECRET = APPROVAL_SECRET.decode()


@pytest.fixture(scope="module")
def reference_run(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, DayRun]:
    settings = Settings(
        data=market_dir, runs=tmp_path_factory.mktemp("runs"), approval_secret=SECRET, event_key=EVENT_KEY.decode()
    )
    return settings, run_day(settings, BarStore(market_dir).sessions()[-1])


def _decided(event: Envelope[Any]) -> tuple[str, str, str]:
    payload = event.payload
    return event.type, payload.order.model_dump_json(), repr(getattr(payload, "violations", ()))


def _of(events: list[Envelope[Any]], model: type[ev.Payload]) -> list[Envelope[Any]]:
    return [e for e in events if e.type == event_type_of(model)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_size_and_risk_when_events_arrive_shuffled_then_identical_orders_and_decisions(
    reference_run: tuple[Settings, DayRun], seed: int
) -> None:
    settings, run = reference_run
    events = list(run.events)
    stages = build_stages(settings, secret=SECRET.encode())
    inputs = _of(events, ev.SignalRouted) + _of(events, ev.ScanCompleted)
    random.Random(seed).shuffle(inputs)
    sized = [out for e in inputs for out in stages.size.handle(e)]
    # the orders, then the batch's summary (why the other confirmed signals got none)
    assert [p.payload for p in sized] == [
        p.payload for p in _of(events, ev.OrderProposed) + _of(events, ev.SizingCompleted)
    ]
    proposed = [p for p in sized if isinstance(p.payload, ev.OrderProposed)]
    assert proposed, "the reference day must size at least one order"

    random.Random(seed).shuffle(proposed)
    decided = [out for e in proposed for out in stages.risk.handle(e)]
    expected = _of(events, ev.OrderApproved) + _of(events, ev.OrderRejected)
    # the same decisions; an approval's expiry (and so its event id) is the deciding time's, not the run's
    assert sorted(map(_decided, decided)) == sorted(map(_decided, expected))


def test_market_open_when_size_and_risk_receive_it_then_day_data_is_loaded_and_nothing_emitted(
    reference_run: tuple[Settings, DayRun],
) -> None:
    settings, run = reference_run
    stages = build_stages(settings, secret=SECRET.encode())
    opened = _of(list(run.events), ev.MarketOpen)
    assert len(opened) == 1
    day = opened[0].payload.trading_day
    for stage in (stages.size, stages.risk):
        assert stage.handle(opened[0]) == []
        reference, facts = stage.data.reference.cache_info(), stage.facts.facts.cache_info()
        stage.data.reference(day), stage.facts.facts(day)  # what the first routed signal / proposal reads
        assert stage.data.reference.cache_info().hits == reference.hits + 1  # already loaded: no read
        assert stage.facts.facts.cache_info().hits == facts.hits + 1
