"""The order desk: one account's orders of one trading day through one broker session, journaled.

Every order is claimed in the journal (NEW) before it is sent, and every broker report is merged into the
journal by the state machine; what changed is written with it, in the same atomic journal write, as
order.* events in the journal's outbox (`broker/outbox.py`), and comes back as `Change`s. A client order
id is sent at most once: the journal claim decides, and after a crash or a reconnect the broker's own
order list (reconciliation) decides whether an unanswered order arrived.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from alphamoe.broker.journal import Journal, JournalUnavailableError
from alphamoe.broker.orders import Change, Merge, OrderRecord, mark, merge
from alphamoe.broker.outbox import Cause, encode, event
from alphamoe.broker.protocol import Broker, BrokerOrder, BrokerUnavailableError, SubmitOrder
from alphamoe.broker.reconcile import Reconciliation, derive_opening, reconcile
from alphamoe.broker.session import Backoff, BrokerSession, ReconcileError
from alphamoe.errors import ApprovalError
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState
from alphamoe.types import OrderStatus

log = logging.getLogger("alphamoe.broker.desk")
OnTerminal = Callable[[OrderRecord], object]
"""Called with an order's record as it turns terminal, before the journal keeps it (see `OrderDesk._keep`)."""


@dataclass(frozen=True)
class DeskConfig:
    wait_s: float = 5.0
    """How long an order waits for a dropped session to come back before it is refused for redelivery."""
    backoff: Backoff = field(default_factory=Backoff)
    fees: CommissionSchedule | None = None
    """The account's fee schedule: reconciliation compares the journal's fees with it where the broker
    reports none (`broker/cash_reconcile.py`)."""


class OrderDesk:
    """Journaled order flow for (account, day) over one broker; callbacks may come from any thread."""

    def __init__(
        self,
        broker: Broker,
        journal: Journal,
        day: date,
        config: DeskConfig | None = None,
        *,
        on_terminal: OnTerminal | None = None,
        on_outbox: Callable[[], object] | None = None,
    ) -> None:
        self.broker, self.journal, self.day = broker, journal, day
        self.config = config or DeskConfig()
        self.on_terminal = on_terminal
        self.on_outbox = on_outbox  # told after each journal write that added events (the publisher wakes)
        self._cause: Cause | None = None
        self.session = BrokerSession(broker, self._reconcile_now, backoff=self.config.backoff)
        self.last: Reconciliation | None = None
        self.unknown: dict[str, BrokerOrder] = {}
        self.illegal: deque[str] = deque(maxlen=1000)  # the latest refused transitions, for the operator
        self._pending: list[Change] = []
        self._lock = threading.RLock()
        broker.subscribe(self._on_report)

    # -- readiness ---------------------------------------------------------------------------------
    def start(self) -> bool:
        """Connect and reconcile once; return whether the desk is ready (it retries on the next call)."""
        return self.session.try_once()

    def health(self) -> tuple[bool, str]:
        return self.session.health()

    def ensure_ready(self) -> None:
        with self._lock:
            self.session.ensure_ready(self.config.wait_s)

    @contextmanager
    def caused_by(self, cause: Cause) -> Iterator[None]:
        """Give the changes made meanwhile (pushes in between too) this cause: their events' run and causation.

        Without one (a push between events, a periodic reconcile) an event belongs to its order's run.
        """
        with self._lock:
            prior, self._cause = self._cause, cause
            try:
                yield
            finally:
                self._cause = prior

    # -- commands ----------------------------------------------------------------------------------
    def submit(self, order: SubmitOrder, approval: str, *, run_id: str = "") -> list[Change]:
        """Journal then send one approved order; an order already journaled is never sent again.

        A replay of the same approved order (a redelivery, or a captured approval sent again) is parked
        and changes nothing; the same order id with other terms raises ApprovalError. `run_id` is the run
        risk approved it in, kept on the record so its reservation can be found after a restart.
        """
        with self._lock:
            self.ensure_ready()
            record = OrderRecord.new(order, broker=self.broker.name, approval=approval, run_id=run_id).with_changes(
                session_id=self.broker.session_id
            )
            if not self.journal.claim(record):
                return self._replay(record)
            try:
                report = self.broker.submit(order)
            except BrokerUnavailableError as exc:
                # in flight: the broker may or may not have it; reconciliation after reconnect decides
                self._apply_mark(record, OrderStatus.UNKNOWN, f"no answer from the broker: {exc}")
                self.session.lost(str(exc))
                raise
            self._apply(report)
            return self.drain()

    def cancel(self, client_order_id: str) -> list[Change]:
        """Ask the broker to cancel; the order is PENDING_CANCEL until the broker's report says otherwise."""
        with self._lock:
            self.ensure_ready()
            record = self.journal.get(client_order_id)
            if record is None:
                raise KeyError(f"no journaled order {client_order_id!r}")
            if record.terminal:
                return self.drain()
            self._apply_mark(record, OrderStatus.PENDING_CANCEL, "cancel requested")
            try:
                report = self.broker.cancel(client_order_id)
            except BrokerUnavailableError as exc:
                self.session.lost(str(exc))
                raise
            self._apply(report)
            return self.drain()

    def close_day(self) -> AccountState:
        """End the day at the broker (open orders expire) and reconcile; return the account at the close."""
        with self._lock:
            self.ensure_ready()
            try:
                state = self.broker.end_of_day()
            except BrokerUnavailableError as exc:
                self.session.lost(str(exc))
                raise
            for report in self.broker.orders():
                self._apply(report)
            return state

    def reconcile(self) -> Reconciliation:
        """Reconcile now (the periodic check); a break fails the desk closed."""
        with self._lock:
            if not self.session.ready:
                self.session.try_once()  # reconnects first when needed; reconciles either way
                return self.last or Reconciliation()
            try:
                self.session.status = self._reconcile_now()
            except ReconcileError as exc:
                self.session.fail(str(exc))
            except BrokerUnavailableError as exc:
                self.session.lost(str(exc))
            return self.last or Reconciliation()

    def drain(self) -> list[Change]:
        """Return and forget the changes since the last drain (reports that arrived between calls too)."""
        with self._lock:
            changes, self._pending = self._pending, []
            return changes

    def records(self) -> list[OrderRecord]:
        return list(self.journal.records(self.day))

    # -- internals ---------------------------------------------------------------------------------
    def _replay(self, wanted: OrderRecord) -> list[Change]:
        existing = self.journal.get(wanted.client_order_id)
        assert existing is not None, "claim failed, so the record exists"
        replay(self.journal, wanted, existing)
        return self.drain()

    def _on_report(self, report: BrokerOrder) -> None:
        with self._lock:
            try:
                self._apply(report)
            except JournalUnavailableError as exc:
                self.session.lost(f"journal unreachable: {exc}")

    def _apply(self, report: BrokerOrder) -> None:
        record = self.journal.get(report.client_order_id)
        if record is None:
            if report.client_order_id not in self.unknown:
                log.warning("broker order %s is not in the journal: reported, not adopted", report.client_order_id)
            self.unknown[report.client_order_id] = report
            return
        try:
            result = merge(record, report)
        except ValueError as exc:
            self.illegal.append(str(exc))
            log.error("report does not match journaled order: %s", exc)
            return
        self._keep(record, result)

    def _apply_mark(self, record: OrderRecord, status: OrderStatus, reason: str) -> None:
        self._keep(record, mark(record, status, reason))

    def _keep(self, before: OrderRecord, result: Merge) -> None:
        if result.illegal:
            self.illegal.append(result.illegal)
        if self.on_terminal is not None and result.record.terminal and not before.terminal:
            # before the journal write: a crash in between leaves the journal open, so reconciliation after
            # the restart turns it terminal and calls again (the callee is idempotent); a failure here
            # (JournalUnavailableError) leaves the report unjournaled, to be merged again on the next reconcile
            self.on_terminal(result.record)
        if result.record != before or result.changes:
            events = [encode(event(c, self._cause)) for c in result.changes]
            self.journal.put(result.record, events)  # the record and its events: one atomic write
            if events and self.on_outbox is not None:
                self.on_outbox()
        self._pending.extend(result.changes)

    def _reconcile_now(self) -> str:
        # called by the session after every (re)connect, before READY
        try:
            broker_orders = list(self.broker.orders())  # a broker session is one trading day
            account = self.broker.account()
            opening = self.journal.opening(self.day)
            if opening is None:
                opening = derive_opening(account, broker_orders)
                self.journal.set_opening(opening)
            result = reconcile(self.journal.records(self.day), broker_orders, account, opening, fees=self.config.fees)
        except JournalUnavailableError as exc:
            raise ReconcileError(str(exc)) from exc
        if result.cash is not None and not result.cash.ok and (self.last is None or self.last.cash != result.cash):
            log.warning("cash and fees differ from the journal: %s", "; ".join(result.cash.describe()))
        self.last = result
        for m in result.merges:
            before = self.journal.get(m.record.client_order_id)
            if before is not None:
                self._keep(before, m)
        self.unknown.update({o.client_order_id: o for o in result.unknown})
        if not result.ok:
            raise ReconcileError(result.summary())
        for record in result.resend:
            # the broker has no such order: this is its first and only send
            log.info("sending %s, journaled but never received by the broker", record.client_order_id)
            self._apply(self.broker.submit(record.command()))
        return result.summary()


class DayClosedError(ApprovalError):
    """An approval for a trading day whose close was handled: refused and parked, the day is never reopened."""


def replay(journal: Journal, wanted: OrderRecord, existing: OrderRecord) -> None:
    """Park an approval of an order already journaled (a redelivery, a forced rerun): never sent again.

    The same order id with other terms raises ApprovalError: a changed order needs a new order id.
    """
    if existing.command() != wanted.command():
        detail = {"order_id": wanted.order_id, "journal": existing.model_dump(mode="json")}
        journal.park("approved order differs from the journaled one", detail)
        raise ApprovalError(
            f"order {wanted.order_id} was already journaled with other terms "
            f"({existing.side} {existing.quantity} {existing.symbol} @ {existing.limit_price}); "
            "a changed order needs a new order id"
        )
    journal.park(
        "replayed approval: order already journaled, not resubmitted",
        {"order_id": wanted.order_id, "client_order_id": wanted.client_order_id, "status": existing.status},
    )
    log.info("replayed approval of %s (%s): not resubmitted", wanted.order_id, existing.status)


def refuse_on_closed_day(journal: Journal, wanted: OrderRecord) -> None:
    """Answer an approval for a closed day: a replay of a journaled order is parked as one, anything else
    is refused (DayClosedError) — a closed day's desk is released and never reopened."""
    existing = journal.get(wanted.client_order_id)
    if existing is not None:
        replay(journal, wanted, existing)
        return
    reason = f"trading day {wanted.trading_day} is closed: order {wanted.order_id} refused, not sent"
    journal.park(reason, {"order_id": wanted.order_id, "client_order_id": wanted.client_order_id})
    raise DayClosedError(reason)
