"""alphamoe:dlq on real Redis: bounded by bytes as well as by count, oversized entries kept truncated, the
newest dead letters kept when a budget is spent."""

from __future__ import annotations

from alphamoe.bus.config import FabricSettings
from alphamoe.bus.redis import DLQ, RedisBus

SMALL = FabricSettings(stream_maxlen=100, dlq_max_bytes=1 << 20, dlq_entry_bytes=16 << 10)


def _stored_bytes(bus: RedisBus) -> int:
    return sum(int(fields["bytes"]) for _, fields in bus.client.xrange(DLQ))


def test_park_when_raw_entry_oversized_then_kept_truncated_with_its_size(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url, SMALL)
    bus.park("x" * 50_000, {"body": "y" * (2 << 20)})
    [letter] = bus.dead_letters()
    assert letter.raw["truncated_from"] > 2 << 20 and len(letter.raw["head"]) == SMALL.dlq_entry_bytes
    assert len(letter.reason) < 1_100
    assert _stored_bytes(bus) < 20 << 10


def test_park_when_large_junk_floods_then_the_real_dead_letter_is_kept(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url, SMALL)
    real = bus.park("execute answered 422: no bars for 600000.SH", {"fields": {"id": "real-1"}})
    for i in range(20):  # the old queue kept each 2 MiB body whole: 40 MB, and a count cap only
        bus.park(f"junk {i}", {"body": "z" * (2 << 20)})
    assert real in [d.entry_id for d in bus.dead_letters()]
    assert _stored_bytes(bus) <= SMALL.dlq_max_bytes


def test_park_when_byte_budget_spent_then_oldest_dropped_and_newest_kept(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url, SMALL)
    ids = [bus.park(f"letter {i}", {"body": "w" * (15 << 10)}) for i in range(90)]  # ~1.4 MiB in all
    kept = [d.entry_id for d in bus.dead_letters()]
    assert kept == ids[-len(kept) :] and 50 <= len(kept) < 90
    assert _stored_bytes(bus) <= SMALL.dlq_max_bytes
    assert int(bus.client.get(DLQ + ":bytes") or 0) == _stored_bytes(bus)


def test_park_when_count_cap_reached_then_newest_kept(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url, SMALL)
    ids = [bus.park(f"letter {i}", {"n": i}) for i in range(130)]
    assert [d.entry_id for d in bus.dead_letters()] == ids[-SMALL.stream_maxlen :]
