"""Execute frees risk's working-order reservation once per order that ends, and nothing else risk booked."""

from __future__ import annotations

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from support.broker_day import DAY, opens
from support.keys import APPROVAL_SECRET
from support.sim_desk import FAST, SimDesk, approval, buy_order, opening

from alphamoe.broker.journal import JournalUnavailableError
from alphamoe.broker.orders import OrderRecord
from alphamoe.broker.service import ExecutionService
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.broker.simulated.xtquant import Faults
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import OrderApproved, OrderProposed
from alphamoe.risk.engine import scope_of
from alphamoe.risk.reservations import ACTIVE, Claim, MemoryReservations, RedisReservations
from alphamoe.types import OrderStatus

SECRET = APPROVAL_SECRET
RUN = "run-release"
SCOPE = scope_of("acc", DAY)  # the day's one ledger, whatever the run
CASH_FEN = 1_020_500  # what each order books as cash in this test: never given back


def proposed(n: int, *, limit: str = "10.20", quantity: int = 1000) -> OrderProposed:
    return buy_order(n, limit=limit, quantity=quantity)


def approve(book: MemoryReservations, order: OrderProposed) -> Envelope[OrderApproved]:
    """Book the order as risk does (a working order and its cash) and return its signed approval event."""
    claims = (Claim(ACTIVE, "ACTIVE_ORDER_CAP", 1, 10), Claim("cash", "CASH", CASH_FEN, 10**12))
    assert book.reserve(SCOPE, order.order_id, claims) == ()
    return approval(order, SECRET, RUN)


def service(sim: SimDesk, book: MemoryReservations | RedisReservations | None) -> ExecutionService:
    """A fresh execute process over the simulated counter (which outlives it) and the shared journal."""

    return ExecutionService(sim.journal, sim.broker, SECRET, desk=FAST, reservations=book)


def used(book: MemoryReservations, name: str) -> int:
    return book.snapshot(SCOPE).used.get(name, 0)


def test_release_when_orders_fill_then_working_count_freed_and_cash_kept() -> None:
    book, sim = MemoryReservations(), SimDesk(exchange=SimExchange(opening(), opens()))
    execute = service(sim, book)
    for n in range(3):
        event = approve(book, proposed(n))
        execute.execute(event, event.payload)
    assert [r.status for r in sim.journal.records()] == [OrderStatus.FILLED] * 3
    assert used(book, ACTIVE) == 0
    assert used(book, "cash") == 3 * CASH_FEN  # a filled order spent its cash for the day


def test_release_when_terminal_report_duplicated_and_event_redelivered_then_freed_once() -> None:
    book = MemoryReservations()
    sim = SimDesk(exchange=SimExchange(opening(), opens()), faults=Faults(duplicate=1.0))  # every push twice
    execute = service(sim, book)
    event = approve(book, proposed(1))
    approve(book, proposed(2, limit="10.00"))  # below the open: stays working
    execute.execute(event, event.payload)
    execute.execute(event, event.payload)  # redelivered: parked as a replay, not sent, not released again
    desk = execute.desk(DAY)
    for report in desk.broker.orders():  # the terminal report once more, as a late push
        desk._on_report(report)
    desk.reconcile()
    record = _record(sim, 1)
    assert record.status is OrderStatus.FILLED
    assert used(book, ACTIVE) == 1  # the working order still counts; a second release would make it 0
    assert execute.release(record) is False


def test_release_when_cancelled_rejected_or_expired_then_each_freed_once() -> None:
    book = MemoryReservations()
    sim = SimDesk(exchange=SimExchange(opening(), opens()))
    execute = service(sim, book)
    cancelled, expired = approve(book, proposed(1, limit="10.00")), approve(book, proposed(2, limit="10.00"))
    rejected = approve(book, proposed(3, quantity=1_000_000))  # more than the cash: the counter refuses it
    for event in (cancelled, expired, rejected):
        execute.execute(event, event.payload)
    assert used(book, ACTIVE) == 2  # the refused order ended at once; the other two are working
    execute.desk(DAY).cancel(_record(sim, 1).client_order_id)
    assert used(book, ACTIVE) == 1
    execute.close_day(cancelled, DAY)  # the close: day orders expire
    assert {r.status for r in sim.journal.records()} == {OrderStatus.CANCELLED, OrderStatus.REJECTED}
    assert used(book, ACTIVE) == 0
    assert used(book, "cash") == 3 * CASH_FEN  # unfilled buys keep their cash claim: never freed here


def _record(sim: SimDesk, n: int) -> OrderRecord:
    return next(r for r in sim.journal.records() if r.order_id == proposed(n).order_id)


def test_release_when_fill_learned_by_reconciliation_after_restart_then_freed() -> None:
    book = MemoryReservations()
    sim = SimDesk()  # no auto-matching: the counter fills when told
    first = service(sim, book)
    event = approve(book, proposed(1))
    first.execute(event, event.payload)
    sim.kill()  # execute dies; the order fills at the counter meanwhile, unseen
    sim.exchange.fill(next(iter(sim.exchange.orders)))
    assert used(book, ACTIVE) == 1
    second = service(sim, book)
    second.start()  # the restart reconciles the open day
    assert second.health()[0]
    assert sim.journal.records()[0].status is OrderStatus.FILLED
    assert used(book, ACTIVE) == 0


def test_release_when_book_unreachable_then_report_not_journaled_and_freed_on_reconcile() -> None:
    book = MemoryReservations()
    sim = SimDesk(exchange=SimExchange(opening(), opens()))
    down = RedisReservations(redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0)))  # nothing listens
    execute = service(sim, down)
    event = approve(book, proposed(1))
    with pytest.raises(JournalUnavailableError, match="risk reservations unreachable"):
        execute.execute(event, event.payload)
    assert sim.journal.records()[0].status is not OrderStatus.FILLED  # the fill waits for a reconcile
    execute.reservations = book  # the book is back
    execute.desk(DAY).reconcile()
    assert sim.journal.records()[0].status is OrderStatus.FILLED
    assert used(book, ACTIVE) == 0
