"""The Redis bus on a real Redis: one stream per type, idempotent publish by event id, run log, dead letters."""

from __future__ import annotations

from datetime import date

import pytest

from alphamoe.bus import codec
from alphamoe.bus.config import FabricSettings
from alphamoe.bus.progress import progress, wait_quiet
from alphamoe.bus.redis import DLQ, RedisBus, stream_of
from alphamoe.errors import AlphamoeError
from alphamoe.events import build_event, event_type_of
from alphamoe.events.payloads import MarketClose, MarketOpen

DAY = date(2025, 3, 31)


def _open(run_id: str = "r1") -> object:
    return build_event(MarketOpen(trading_day=DAY), run_id=run_id, source="/test")


def test_publish_when_same_event_twice_then_one_stream_entry(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url)
    event = _open()
    assert bus.publish(event) is True
    assert bus.publish(event) is False
    assert bus.client.xlen(stream_of(event.type)) == 1
    assert [e.id for e in bus.run_events("r1")] == [event.id]
    assert bus.runs() == {"r1": DAY.isoformat()}


def test_publish_all_when_mixed_new_and_seen_then_adds_only_new_in_order(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url)
    first, close = _open(), build_event(MarketClose(trading_day=DAY), run_id="r1", source="/test")
    bus.publish(first)
    assert bus.publish_all([first, close]) == [False, True]
    assert [e.type for e in bus.run_events("r1")] == [first.type, close.type]


def test_stream_when_over_cap_then_trimmed_near_maxlen(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url, FabricSettings(stream_maxlen=100))
    bus.publish_all([_open(f"run-{i}") for i in range(600)])
    assert bus.client.xlen(stream_of(event_type_of(MarketOpen))) < 600


def test_codec_when_round_tripped_then_same_envelope(redis_url: str) -> None:
    event = _open()
    again = codec.decode(codec.encode(event))
    assert (again.id, again.payload, again.run_id) == (event.id, event.payload, event.run_id)
    assert codec.from_structured(codec.structured(codec.encode(event))).payload == event.payload


def test_park_when_called_then_dlq_keeps_reason_and_original(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url)
    bus.park("field runid missing", {"headers": {"ce-id": "x"}})
    [letter] = bus.dead_letters()
    assert letter.reason == "field runid missing" and letter.raw == {"headers": {"ce-id": "x"}}
    assert bus.client.xlen(DLQ) == 1


def test_handled_when_recorded_then_second_record_refused_and_answer_kept(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url)
    assert bus.answered("size", "e1") is None
    assert bus.record_handled("size", "e1", '{"outputs": 0}') is True
    assert bus.record_handled("size", "e1", '{"outputs": 9}') is False
    assert bus.answered("size", "e1") == '{"outputs": 0}'
    assert bus.client.ttl("alphamoe:handled:size:e1") > 0


def test_progress_when_entry_read_but_unacked_then_pending_until_ack(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url)
    stream = stream_of(event_type_of(MarketOpen))
    bus.ensure_groups([(stream, "scan")])
    bus.ensure_groups([(stream, "scan")])  # idempotent
    bus.publish(_open())
    [row] = progress(bus.client)
    assert (row.lag, row.pending) == (1, 0)
    [(_, [(entry_id, _)])] = bus.client.xreadgroup("scan", "c1", {stream: ">"})
    assert [(p.lag, p.pending) for p in progress(bus.client)] == [(0, 1)]
    with pytest.raises(AlphamoeError, match="did not go quiet"):
        wait_quiet(bus.client, timeout_s=0.2)
    bus.client.xack(stream, "scan", entry_id)
    assert wait_quiet(bus.client, timeout_s=1) < 1
