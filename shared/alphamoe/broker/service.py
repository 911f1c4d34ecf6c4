"""The execution service: approved orders through journaled order desks, broker reports to order.* events.

The execute function's whole job, without the pipeline around it: verify the approval HMAC (DESIGN.md
§5), park what fails, hand the order to the day's desk, and answer with the order.* events of the journal's
outbox. With a bus to publish to (`publish_with`: the function with Redis), a publisher thread also flushes
the outbox as soon as a change is journaled, so broker pushes between events go out promptly and events a
killed process journaled go out after its restart. It imports no market data, so a restarted execute
process is back (reconciled and ready) in seconds. A day's desk lives from its first order to its
market.close, then is released; with a live broker it is held under a lease per account and day
(`broker/lock.py`), so a second process refuses rather than sending the day's orders again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import redis

from alphamoe.broker.clutch import Clutch
from alphamoe.broker.desk import DayClosedError, DeskConfig, OrderDesk, refuse_on_closed_day
from alphamoe.broker.ids import client_order_id
from alphamoe.broker.journal import Journal, JournalUnavailableError
from alphamoe.broker.lock import DayLocks, DeskLockedError
from alphamoe.broker.orders import OrderRecord
from alphamoe.broker.outbox import SOURCE, Cause, Outbox, Publish, Publisher
from alphamoe.broker.protocol import Broker, SubmitOrder
from alphamoe.broker.simulation import declares_simulated
from alphamoe.errors import AlphamoeError, ApprovalError
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import OrderApproved
from alphamoe.portfolio import AccountState
from alphamoe.risk.approval import check_binding, verify
from alphamoe.risk.engine import scope_of
from alphamoe.risk.reservations import ReservationBook
from alphamoe.security.keys import require_key

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
        now: Callable[[], datetime] | None = None,
        locks: DayLocks | None = None,
        clutch: Clutch | None = None,
    ) -> None:
        self.journal, self.brokers = journal, brokers
        self.clutch = clutch  # disengaged: approved orders are parked, not sent (`broker/clutch.py`)
        self.secret = require_key(secret, "ALPHAMOE_APPROVAL_SECRET")
        self._now = now or (lambda: datetime.now(UTC))  # an approval's expiry is checked against this clock
        self.reservations = reservations  # risk's book: an order that ends frees its working-order claim
        self._today = today  # a live broker: open today's session at start, so readiness means connected
        self._desk_config = desk or DeskConfig()
        self._reconcile_every_s = reconcile_every_s
        self.locks = locks  # a live broker: one process per account and day (`broker/lock.py`)
        self._desks: dict[date, OrderDesk] = {}
        self._desks_lock = threading.RLock()
        self._started = False
        self._refused: str | None = None  # why start() could not open a day (another process holds it)
        self._keeper: threading.Thread | None = None
        self._stop = threading.Event()
        self.outbox = Outbox(journal)
        self.publisher: Publisher | None = None
        self._local = threading.local()

    # -- sessions and readiness --------------------------------------------------------------------
    def desk(self, day: date) -> OrderDesk:
        """Return the day's order desk, connecting and reconciling it the first time.

        Raises DayClosedError for a day whose close was handled (its desk is released, never reopened), and
        with `locks` DeskLockedError while another process holds the account's day (or this one lost it).
        """
        with self._desks_lock:
            desk = self._desks.get(day)
            if desk is not None:
                if self.locks is not None:
                    self._ensure_lease(day, desk)
                return desk
            if self.journal.closing(day) is not None:
                raise DayClosedError(f"trading day {day} is closed: its desk is not reopened")
            if self.locks is not None:
                self.locks.acquire(day)  # before the broker session: nothing is sent without the lease
            try:
                on_terminal = self.release if self.reservations is not None else None
                desk = OrderDesk(
                    self.brokers(day),
                    self.journal,
                    day,
                    self._desk_config,
                    on_terminal=on_terminal,
                    on_outbox=self._wake,
                )
            except BaseException:
                if self.locks is not None:
                    self.locks.release(day)
                raise
            self._desks[day] = desk
        desk.start()
        if self._reconcile_every_s is not None:
            self.keep(self._reconcile_every_s)
        return desk

    def open_days(self) -> list[date]:
        """Return the days with a desk (a broker session) in this process: none once a day is closed."""
        with self._desks_lock:
            return sorted(self._desks)

    def broker(self, day: date) -> Broker:
        return self.desk(day).broker

    def start(self) -> None:
        """Recover after a restart: open and reconcile every day the journal still has open orders for."""
        self._started = True
        try:
            days = sorted({r.trading_day for r in self.journal.records() if not r.terminal})
            if self._today is not None:
                days = sorted({*days, self._today()})
            days = [d for d in days if self.journal.closing(d) is None]
        except JournalUnavailableError as exc:
            log.error("execute cannot read its journal: %s", exc)
            self._started = False
            return
        try:
            for day in days:
                self.desk(day)
        except DeskLockedError as exc:
            log.error("execute refuses to start: %s", exc)
            self._started, self._refused = False, str(exc)
            return
        self._refused = None

    def health(self) -> tuple[bool, str]:
        """Readiness: every open day's session connected and reconciled (the runtime's readiness probe)."""
        if not self._started:
            self.start()
            if not self._started:
                return False, f"execute: {self._refused or 'journal unreachable; failed closed'}"
        states = []
        with self._desks_lock:
            desks = sorted(self._desks.items())
        for day, desk in desks:
            if self.locks is not None:
                try:
                    self._ensure_lease(day, desk)
                except DeskLockedError as exc:
                    return False, f"execute {day}: {exc}"
            ready, why = desk.health()
            if not ready:
                desk.start()  # one more attempt per probe: the probe doubles as the reconnect loop
                ready, why = desk.health()
            if not ready:
                return False, f"execute {day}: {why}"
            states.append(f"{day}: {why}")
        return True, "execute ready" + ("; " + "; ".join(states) if states else ": no session open")

    def _ensure_lease(self, day: date, desk: OrderDesk) -> None:
        # a lease lost (not refreshed in time, or taken over) is taken again if free, then the day reconciled
        # (what another process sent meanwhile is at the broker: reconciliation reports it); else refused
        assert self.locks is not None
        try:
            self.locks.check(day)
        except DeskLockedError as lost:
            log.error("%s; taking it again", lost)
            self.locks.acquire(day)  # raises DeskLockedError naming the holder
            desk.reconcile()

    def keep(self, interval_s: float) -> None:
        """Start a daemon thread that reconnects dropped sessions and reconciles every `interval_s` s."""
        if self._keeper is not None:
            return

        def run() -> None:
            while not self._stop.wait(interval_s):
                with self._desks_lock:
                    desks = list(self._desks.values())
                for desk in desks:
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
        with self._desks_lock:
            desks, self._desks = list(self._desks.values()), {}
        for desk in desks:
            desk.broker.close()
        if self.locks is not None:
            self.locks.close()

    # -- orders ------------------------------------------------------------------------------------
    def execute(self, envelope: Envelope[Any], approved: OrderApproved) -> list[Envelope[Any]]:
        """Verify, journal and send one approved order; return its order.* events (and any pending ones).

        Refused (parked, never sent, no desk opened): a bad signature, a disengaged clutch, and an approval
        not bound to this event's day, past its expiry, or, with a live adapter (`today` is given exactly then, see
        `broker.wiring.execute_options`), simulated or for a session other than the exchange's today. A live
        adapter whose sessions run against the simulators (`broker/simulation.py`) takes those as paper does,
        once its opened session confirms it is simulated; one that does not is refused before sending.
        """
        simulator = self._today is not None and declares_simulated(self.brokers)
        try:
            verify(approved, self.secret)
            live_today = self._today() if self._today is not None and not simulator else None
            check_binding(approved, day=envelope.trading_day, now=self._now(), live_today=live_today)
        except ApprovalError as exc:
            self.journal.park(str(exc), {"event_id": envelope.id, "order": approved.order.model_dump(mode="json")})
            raise
        order = approved.order
        if self.clutch is not None and not (held := self.clutch.status(order.account_id)).engaged:
            reason = f"clutch {held.describe()}: order {order.order_id} decided, not sent"
            self.journal.park(reason, {"event_id": envelope.id, "order": order.model_dump(mode="json")})
            log.warning(reason)
            return self._answer()
        terms = order.model_dump(include=SubmitOrder.model_fields.keys() - {"client_order_id"})
        command = SubmitOrder(client_order_id=client_order_id(order.order_id), **terms)
        try:
            desk = self.desk(order.trading_day)
        except DayClosedError:  # a replay is parked as one; a new order is refused, the day not reopened
            wanted = OrderRecord.new(command, broker="", approval=approved.signature, run_id=envelope.run_id)
            refuse_on_closed_day(self.journal, wanted)
            return self._answer()
        if simulator and not declares_simulated(desk.broker):
            reason = (
                f"approval of {order.order_id}: the {desk.broker.name} session was wired as simulated but does not "
                "declare itself simulated (a real client?): refused, not sent"
            )
            self.journal.park(reason, {"event_id": envelope.id, "order": order.model_dump(mode="json")})
            raise ApprovalError(reason)
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
        more than the day's cash or weights allow. The claim is freed in the day's one ledger, whatever the
        record's run (`risk.engine.scope_of`), and only for an id booked there; a replay's own ledger is
        left to expire (it can only make that replay stricter).
        """
        assert self.reservations is not None, "release needs risk's reservation book"
        scope = scope_of(record.account_id, record.trading_day)
        try:
            freed = self.reservations.release(scope, record.order_id)
        except redis.RedisError as exc:
            # the same outage as the journal's: the report is not journaled and is merged again on reconcile
            raise JournalUnavailableError(f"risk reservations unreachable releasing {record.order_id}: {exc}") from exc
        log.debug("order %s %s: working-order reservation %s", record.order_id, record.status, freed)
        return freed

    def close_day(self, envelope: Envelope[Any], day: date) -> tuple[AccountState, list[Envelope[Any]]]:
        """End the day at the broker: open orders expire; return the account at the close and the events.

        The close is journaled and the day's desk released (broker session, paper state, lease): a process
        that sees many days holds only the open ones. A repeated close (a redelivery, a forced rerun)
        answers the journaled close without reopening anything; a crash before the journal write closes
        again, which gives the same state (the paper broker is rebuilt from the journal).
        """
        closed = self.journal.closing(day)
        if closed is not None:
            return closed, self._answer()
        desk = self.desk(day)
        with desk.caused_by(Cause.of(envelope)), self._answering():
            state = desk.close_day()
        self.journal.set_closing(state)
        answer = self._answer()
        self._release_desk(day)
        return state, answer

    def _release_desk(self, day: date) -> None:
        with self._desks_lock:
            desk = self._desks.pop(day, None)
        if desk is not None:
            desk.broker.close()
        if self.locks is not None:
            self.locks.release(day)
        log.info("trading day %s closed: its desk is released", day)

    def _answer(self) -> list[Envelope[Any]]:
        """Return this event's order.* events, after any still unpublished before them (journal order).

        Without a publisher the caller's bus is the only one, so the outbox is acked now (the embedded run,
        where a crash loses the bus too). With one, the outbox is flushed to the bus here, before the answer
        (and the 2xx), and the answer is empty: one publish per event instead of the answer's and the
        thread's racing each other; the thread carries what broker pushes journal between events.
        """
        with self._desks_lock:
            desks = list(self._desks.values())
        for desk in desks:
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
