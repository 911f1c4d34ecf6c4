"""Execute's outbox over a real Redis: every journaled order change reaches the bus once, in order, promptly."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from support.broker_day import opens
from support.keys import APPROVAL_SECRET
from support.sim_desk import SimDesk, approval, buy_order, command, opening, sim_stage

from alphamoe.broker.journal import Journal, MemoryJournal, RedisJournal
from alphamoe.broker.orders import OrderRecord
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.bus.redis import RedisBus, stream_of
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import OrderApproved, OrderFilled, OrderSubmitted, event_type_of
from alphamoe.kv.client import connect
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.stages.execute import ExecuteStage

SECRET = APPROVAL_SECRET
RUN = "run-outbox"
SUBMITTED, FILLED = event_type_of(OrderSubmitted), event_type_of(OrderFilled)


class Killed(BaseException):
    """The process dies here (SIGKILL): nothing after this point runs, no handler sees it."""


class KilledAfterFill(RedisJournal):
    """A journal whose process is killed right after it wrote a fill: journaled, never published."""

    def put(self, record: OrderRecord, events: Sequence[str] = ()) -> None:
        super().put(record, events)
        if any(FILLED in e for e in events):
            raise Killed


def approved(n: int = 1, limit: str = "10.20") -> Envelope[OrderApproved]:
    return approval(buy_order(n, limit=limit), SECRET, RUN)


def make_stage(sim: SimDesk, store: BarStore, tmp_path: Path, journal: Journal) -> ExecuteStage:
    return sim_stage(sim, store, tmp_path, SECRET, journal)


@pytest.fixture
def bus(redis_url: str) -> Iterator[RedisBus]:
    fabric = RedisBus(connect(redis_url))
    yield fabric
    fabric.client.close()


def on_stream(bus: RedisBus, event_type: str) -> list[Envelope[Any]]:
    return [e for e in bus.run_events(RUN) if e.type == event_type]


def wait_for(check: Any, timeout_s: float) -> float:
    """Poll `check` until true; return the seconds it took (raises on timeout)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout_s:
            raise AssertionError(f"not within {timeout_s} s")
        time.sleep(0.01)
    return time.monotonic() - start


def test_outbox_when_killed_between_journal_write_and_publish_then_restart_publishes_each_once_in_order(
    store: BarStore, tmp_path: Path, bus: RedisBus, redis_url: str
) -> None:
    sim = SimDesk(exchange=SimExchange(opening(), opens()))  # marketable: fills at once
    event = approved()
    first = make_stage(sim, store, tmp_path, KilledAfterFill(connect(redis_url), "acc"))
    with pytest.raises(Killed):
        first.handle(event)  # the fill is journaled; the process dies before anything is published
    sim.kill()
    assert bus.run_events(RUN) == []  # the gap: journaled, not on the bus

    second = make_stage(sim, store, tmp_path, RedisJournal(connect(redis_url), "acc"))
    second.publish_with(bus.publish_all)
    second.start()
    bus.publish_all(second.handle(event))  # the bridge redelivers the unanswered event; the runtime publishes
    wait_for(lambda: len(on_stream(bus, FILLED)) == 1, 5)
    second.service.outbox.flush(bus.publish_all)
    second.stop()

    log = [e for e in bus.run_events(RUN) if getattr(e.payload, "order_id", None) == event.payload.order.order_id]
    assert [e.type for e in log] == [SUBMITTED, FILLED]  # each once, submitted before filled
    assert len({e.id for e in log}) == 2
    assert sim.exchange.sends.total() == 1
    assert second.service.outbox.pending() == []


def test_outbox_when_fill_arrives_by_broker_push_then_published_within_a_second(
    store: BarStore, tmp_path: Path, bus: RedisBus, redis_url: str
) -> None:
    sim = SimDesk()  # resting orders: the fill comes later, pushed by the broker
    stage = make_stage(sim, store, tmp_path, RedisJournal(connect(redis_url), "acc"))
    stage.publish_with(bus.publish_all)
    try:
        outputs = stage.handle(approved(limit="10.00"))
        assert outputs == [] and len(on_stream(bus, SUBMITTED)) == 1  # on the bus before the answer
        order_id = next(iter(sim.exchange.orders))
        sim.exchange.fill(order_id, 1000, Decimal("10.00"))  # a push, no further incoming event
        took = wait_for(lambda: len(on_stream(bus, FILLED)) == 1, 1.0)
    finally:
        stage.stop()
    filled = on_stream(bus, FILLED)[0]
    assert filled.payload.fill_quantity == 1000 and filled.run_id == RUN  # the order's run: a deterministic id
    assert took < 1.0


def unreachable(events: Sequence[Envelope[Any]]) -> None:
    raise redis.ConnectionError("bus unreachable")


def test_outbox_when_drained_again_or_republished_after_crash_then_nothing_new_on_the_bus(
    store: BarStore, tmp_path: Path, bus: RedisBus, redis_url: str
) -> None:
    sim = SimDesk(exchange=SimExchange(opening(), opens()))
    journal = RedisJournal(connect(redis_url), "acc")
    stage = make_stage(sim, store, tmp_path, journal)
    stage.publish_with(unreachable)  # a bus that never answers: the outbox keeps everything
    stage.handle(approved(1))
    stage.handle(approved(2))
    stage.stop()
    outbox = stage.service.outbox
    pending = outbox.pending()
    assert len(pending) == 4

    def publish_then_die(events: Sequence[Envelope[Any]]) -> None:
        bus.publish_all(events)
        raise Killed  # on the bus, not acked

    with pytest.raises(Killed):
        outbox.flush(publish_then_die)
    streams = {t: bus.client.xlen(stream_of(t)) for t in (SUBMITTED, FILLED)}
    assert streams == {SUBMITTED: 2, FILLED: 2}
    assert outbox.flush(bus.publish_all) == 4  # the restart publishes the same ids again …
    assert bus.publish_all(pending) == [False] * 4  # … which the bus had already
    assert {t: bus.client.xlen(stream_of(t)) for t in (SUBMITTED, FILLED)} == streams
    assert outbox.flush(bus.publish_all) == 0  # drained: a second drain publishes nothing
    assert [e.id for e in bus.run_events(RUN)] == [e.id for e in pending]  # journal order


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_journal_outbox_when_acked_then_only_the_matching_head_leaves(kind: str, redis_url: str) -> None:
    journal: Journal = MemoryJournal() if kind == "memory" else RedisJournal(connect(redis_url), "acc")
    record = OrderRecord.new(command(1), broker="sim", approval="sig")
    journal.put(record, ["a", "b"])
    journal.put(record, ["c"])
    assert journal.outbox() == ["a", "b", "c"]
    assert journal.ack(["b"]) == 0  # not the head: another flusher's view, left alone
    assert journal.ack(["a", "b"]) == 2
    assert journal.ack(["a", "b"]) == 0  # acked twice (two flushers): removes nothing more
    assert journal.outbox() == ["c"]
    assert journal.get(record.client_order_id) == record
