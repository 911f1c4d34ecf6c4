"""Batch barriers in Redis: replicas share one batch, the first closer wins, a redelivered closer recomputes."""

from __future__ import annotations

from datetime import date

import pytest

from alphamoe.events import build_event
from alphamoe.events.payloads import MarketOpen
from alphamoe.kv.client import connect
from alphamoe.pipeline.barrier import BarrierStore, MemoryBarrier, RedisBarrier


def _event(run: str) -> object:
    return build_event(MarketOpen(trading_day=date(2025, 3, 31)), run_id=run, source="/test")


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> BarrierStore:
    if request.param == "memory":
        return MemoryBarrier()
    return RedisBarrier(connect(request.getfixturevalue("redis_url")), ttl_s=60)


def test_barrier_when_members_added_then_listed_and_open(store: BarrierStore) -> None:
    store.add("size:r1", "routed:a", _event("a"))
    store.add("size:r1", "routed:b", _event("b"))
    store.add("size:r1", "routed:a", _event("a"))  # a redelivery replaces, never doubles
    assert sorted(store.members("size:r1")) == ["routed:a", "routed:b"]
    assert list(store.opened()) == ["size:r1"]


def test_barrier_when_closed_twice_then_first_closer_wins(store: BarrierStore) -> None:
    store.add("risk:r1", "000000", _event("a"))
    assert store.close("risk:r1", "event-1") == "event-1"
    assert store.close("risk:r1", "event-2") == "event-1"
    assert store.close("risk:r1", "event-1") == "event-1"  # the closer redelivered: it recomputes
    assert store.opened() == {}


def test_barrier_when_joined_after_the_close_then_not_added_and_closer_named(store: BarrierStore) -> None:
    assert store.join("risk:r1", "000000", _event("a")) is None
    assert list(store.opened()) == ["risk:r1"]  # the first join starts the batch's clock
    assert store.close("risk:r1", "timeout:risk:r1") == "timeout:risk:r1"
    assert store.join("risk:r1", "000001", _event("b")) == "timeout:risk:r1"  # late: told, not added
    assert sorted(store.members("risk:r1")) == ["000000"]
    assert store.opened() == {}


def test_redis_barrier_when_two_replicas_then_one_batch(redis_url: str) -> None:
    one, two = (RedisBarrier(connect(redis_url), ttl_s=60) for _ in range(2))
    one.add("size:r2", "routed:a", _event("a"))
    two.add("size:r2", "routed:b", _event("b"))
    assert sorted(one.members("size:r2")) == sorted(two.members("size:r2")) == ["routed:a", "routed:b"]
    assert two.close("size:r2", "x") == one.close("size:r2", "y") == "x"
