"""The execution service: approved orders through journaled order desks, broker reports to order.* events.

The execute function's whole job, without the pipeline around it: verify the approval HMAC (DESIGN.md
§5), park what fails, hand the order to the day's desk, and answer with the order.* events of the journal's
outbox. With a bus to publish to (`publish_with`: the function with Redis), a publisher thread also flushes
the outbox as soon as a change is journaled, so broker pushes between events go out promptly and events a
killed process journaled go out after its restart. It imports no market data, so a restarted execute
process is back (reconciled and ready) in seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import redis

from alphamoe.broker.desk import DeskConfig, OrderDesk
from alphamoe.broker.ids import client_order_id
from alphamoe.broker.journal import Journal, JournalUnavailableError
from alphamoe.broker.orders import OrderRecord
from alphamoe.broker.outbox import SOURCE, Cause, Outbox, Publish, Publisher
from alphamoe.broker.protocol import Broker, SubmitOrder
from alphamoe.errors import AlphamoeError, ApprovalError
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import OrderApproved
from alphamoe.portfolio import AccountState
from alphamoe.risk.approval import verify
from alphamoe.risk.engine import scope_of
from alphamoe.risk.reservations import ReservationBook

log = logging.getLogger("alphamoe.execute")
BrokerFactory = Callable[[date], Broker]
"""Return the broker session for a trading day (a paper session per day; one live session for all)."""
__all__ = ["SOURCE", "BrokerFactory", "ExecutionService"]


class ExecutionService:
    """Journaled order flow for one account: a desk per trading day, readiness over all open days."""

    def __init__(
        self,
        journal: Journal,
        brokers: BrokerFactory,
        secret: bytes,
        *,
        desk: DeskConfig | None = None,
        reconcile_every_s: float | None = None,
        today: Callable[[], date] | None = None,
        reservations: ReservationBook | None = None,
    ) -> None:
        self.journal, self.brokers, self.secret = journal, brokers, secret
        self.reservations = reservations  # risk's book: an order that ends frees its working-order claim
        self._today = today  # a live broker: open today's session at start, so readiness means connected
        self._desk_config = desk or DeskConfig()
        self._reconcile_every_s = reconcile_every_s
        self._desks: dict[date, OrderDesk] = {}
        self._closed_days: set[date] = set()
        self._started = False
        self._keeper: threading.Thread | None = None
        self._stop = threading.Event()
        self.outbox = Outbox(journal)
        self.publisher: Publisher | None = None
        self._local = threading.local()

    # -- sessions and readiness --------------------------------------------------------------------
    def desk(self, day: date) -> OrderDesk:
        """Return the day's order desk, connecting and reconciling it the first time."""
        if day not in self._desks:
            on_terminal = self.release if self.reservations is not None else None
            desk = OrderDesk(
                self.brokers(day), self.journal, day, self._desk_config, on_terminal=on_terminal, on_outbox=self._wake
            )
            self._desks[day] = desk
            desk.start()
            if self._reconcile_every_s is not None:
                self.keep(self._reconcile_every_s)
        return self._desks[day]

    def broker(self, day: date) -> Broker:
        return self.desk(day).broker

    def start(self) -> None:
        """Recover after a restart: open and reconcile every day the journal still has open orders for."""
        self._started = True
        try:
            days = sorted({r.trading_day for r in self.journal.records() if not r.terminal})
            if self._today is not None:
                days = sorted({*days, self._today()})
        except JournalUnavailableError as exc:
            log.error("execute cannot read its journal: %s", exc)
            self._started = False
            return
        for day in days:
            self.desk(day)

    def health(self) -> tuple[bool, str]:
        """Readiness: every open day's session connected and reconciled (the runtime's readiness probe)."""
        if not self._started:
            self.start()
            if not self._started:
                return False, "execute: journal unreachable; failed closed"
        states = []
        for day, desk in sorted(self._desks.items()):
            if day in self._closed_days:
                continue
            ready, why = desk.health()
            if not ready:
                desk.start()  # one more attempt per probe: the probe doubles as the reconnect loop
                ready, why = desk.health()
            if not ready:
                return False, f"execute {day}: {why}"
            states.append(f"{day}: {why}")
        return True, "execute ready" + ("; " + "; ".join(states) if states else ": no session open")

    def keep(self, interval_s: float) -> None:
        """Start a daemon thread that reconnects dropped sessions and reconciles every `interval_s` s."""
        if self._keeper is not None:
            return

        def run() -> None:
            while not self._stop.wait(interval_s):
                for day, desk in list(self._desks.items()):
                    if day in self._closed_days:
                        continue
                    if desk.session.ready:
                        desk.reconcile()
                    else:
                        desk.start()

        self._keeper = threading.Thread(target=run, name="execute-keeper", daemon=True)
        self._keeper.start()

    def publish_with(self, publish: Publish, *, every_s: float = 1.0) -> Publisher:
        """Start the publisher thread: the outbox goes to `publish` (the bus) when a change is journaled.

        From then on an answer's events are left in the outbox until the publisher has them on the bus
        (the answer's own publish and the thread's add each event once: same ids).
        """
        if self.publisher is None:
            self.publisher = Publisher(self.outbox, publish, every_s=every_s).start()
        return self.publisher

    def stop(self) -> None:
        self._stop.set()
        if self.publisher is not None:
            self.publisher.stop()
        for desk in self._desks.values():
            desk.broker.close()

    # -- orders ------------------------------------------------------------------------------------
    def execute(self, envelope: Envelope[Any], approved: OrderApproved) -> list[Envelope[Any]]:
        """Verify, journal and send one approved order; return its order.* events (and any pending ones)."""
        try:
            verify(approved, self.secret)
        except ApprovalError as exc:
            self.journal.park(str(exc), {"event_id": envelope.id, "order": approved.order.model_dump(mode="json")})
            raise
        order = approved.order
        desk = self.desk(order.trading_day)
        terms = order.model_dump(include=SubmitOrder.model_fields.keys() - {"client_order_id"})
        command = SubmitOrder(client_order_id=client_order_id(order.order_id), **terms)
        with desk.caused_by(Cause.of(envelope)), self._answering():
            desk.submit(command, approved.signature, run_id=envelope.run_id)
        return self._answer()

    def release(self, record: OrderRecord) -> bool:
        """Free in risk's book what an order that has ended no longer holds; True if this call freed it.

        The desk calls this once per record turning terminal (filled, cancelled or expired, rejected), from
        a report or from reconciliation after a restart; `ReservationBook.release` frees an order id at
        most once per scope (atomically in Redis, so across replicas), so a duplicate report or a
        redelivered event changes nothing. What it frees is the working-order count (ACTIVE) only. The
        cash, per-stock/board/industry and T+1 claims stay booked for the day, on purpose: risk measures
        them against the account at the open, so a filled order consumed them for the day; and an unfilled
        remainder may still fill after its cancel (the state machine accepts that late trade), while the
        buy claim's fees are not divisible by share. Keeping them can only make risk refuse, never approve
        more than the day's cash or weights allow. A record without a run id (journaled before it was kept)
        is looked up in the run-less scope, where release frees only an id booked there.
        """
        assert self.reservations is not None, "release needs risk's reservation book"
        scope = scope_of(record.account_id, record.trading_day, record.run_id)
        try:
            freed = self.reservations.release(scope, record.order_id)
        except redis.RedisError as exc:
            # the same outage as the journal's: the report is not journaled and is merged again on reconcile
            raise JournalUnavailableError(f"risk reservations unreachable releasing {record.order_id}: {exc}") from exc
        log.debug("order %s %s: working-order reservation %s", record.order_id, record.status, freed)
        return freed

    def close_day(self, envelope: Envelope[Any], day: date) -> tuple[AccountState, list[Envelope[Any]]]:
        """End the day at the broker: open orders expire; return the account at the close and the events."""
        desk = self.desk(day)
        with desk.caused_by(Cause.of(envelope)), self._answering():
            state = desk.close_day()
        self._closed_days.add(day)
        return state, self._answer()

    def _answer(self) -> list[Envelope[Any]]:
        """Return this event's order.* events, after any still unpublished before them (journal order).

        Without a publisher the caller's bus is the only one, so the outbox is acked now (the embedded run,
        where a crash loses the bus too). With one, the outbox is flushed to the bus here, before the answer
        (and the 2xx), and the answer is empty: one publish per event instead of the answer's and the
        thread's racing each other; the thread carries what broker pushes journal between events.
        """
        for desk in self._desks.values():
            desk.drain()  # the outbox holds them; the in-memory lists are only the desk's own answer
        if self.publisher is None:
            return self.outbox.take()
        try:
            self.outbox.flush(self.publisher.publish)
        except (AlphamoeError, redis.RedisError) as exc:  # kept in the outbox: the thread retries until sent
            log.warning("order events left in the outbox for the publisher: %s", exc)
            self.publisher.wake()
        return []

    @contextmanager
    def _answering(self) -> Iterator[None]:
        # journal writes of the handling thread need no wake-up: `_answer` flushes them right after
        self._local.answering = True
        try:
            yield
        finally:
            self._local.answering = False

    def _wake(self) -> None:
        # a journal write with events: a broker push (another thread) wakes the publisher at once
        if self.publisher is not None and not getattr(self._local, "answering", False):
            self.publisher.wake()
