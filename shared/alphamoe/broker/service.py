"""The execution service: approved orders through journaled order desks, broker reports to order.* events.

The execute function's whole job, without the pipeline around it: verify the approval HMAC (DESIGN.md
§5), park what fails, hand the order to the day's desk, and turn the desk's changes into events. It
imports no market data, so a restarted execute process is back (reconciled and ready) in seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import redis

from alphamoe.broker.desk import DeskConfig, OrderDesk
from alphamoe.broker.ids import client_order_id
from alphamoe.broker.journal import Journal, JournalUnavailableError
from alphamoe.broker.orders import Change, ChangeKind, OrderRecord
from alphamoe.broker.protocol import Broker, SubmitOrder
from alphamoe.errors import ApprovalError
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import OrderApproved, OrderCancelled, OrderFailed, OrderFilled, OrderSubmitted, Payload
from alphamoe.portfolio import AccountState
from alphamoe.risk.approval import verify
from alphamoe.risk.engine import scope_of
from alphamoe.risk.reservations import ReservationBook

log = logging.getLogger("alphamoe.execute")
BrokerFactory = Callable[[date], Broker]
"""Return the broker session for a trading day (a paper session per day; one live session for all)."""
SOURCE = "/alphamoe/execute"


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

    # -- sessions and readiness --------------------------------------------------------------------
    def desk(self, day: date) -> OrderDesk:
        """Return the day's order desk, connecting and reconciling it the first time."""
        if day not in self._desks:
            on_terminal = self.release if self.reservations is not None else None
            desk = OrderDesk(self.brokers(day), self.journal, day, self._desk_config, on_terminal=on_terminal)
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

    def stop(self) -> None:
        self._stop.set()
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
        changes = desk.submit(command, approved.signature, run_id=envelope.run_id)
        return events(envelope, [*self._drain_others(order.trading_day), *changes])

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
        state = desk.close_day()
        self._closed_days.add(day)
        return state, events(envelope, desk.drain())

    def _drain_others(self, day: date) -> list[Change]:
        # reports that arrived between events (other days' sessions, async pushes) go out with this event
        return [c for d, desk in self._desks.items() if d != day for c in desk.drain()]


def events(cause: Envelope[Any], changes: list[Change]) -> list[Envelope[Any]]:
    """Return the order.* events of the changes, caused by `cause` (same run, causation id kept)."""
    return [build_event(_payload(c), run_id=cause.run_id, source=SOURCE, causation_id=cause.id) for c in changes]


def _payload(change: Change) -> Payload:
    r = change.record
    common: dict[str, Any] = {
        "trading_day": r.trading_day,
        "order_id": r.order_id,
        "client_order_id": r.client_order_id,
        "account_id": r.account_id,
        "symbol": r.symbol,
        "side": r.side,
        "status": r.status,
    }
    if change.kind is ChangeKind.SUBMITTED:
        return OrderSubmitted(**common, quantity=r.quantity, limit_price=r.limit_price, broker=r.broker)
    if change.kind is ChangeKind.FILLED:
        assert change.fill is not None, "a FILLED change carries its fill"
        return OrderFilled(
            **common,
            fill_quantity=change.fill.quantity,
            fill_price=change.fill.price,
            fees=change.fill.fees,
            cumulative_quantity=r.filled_quantity,
        )
    if change.kind is ChangeKind.CANCELLED:
        return OrderCancelled(**common, filled_quantity=r.filled_quantity, reason=r.reason or "day end")
    return OrderFailed(**common, reason=r.reason or "rejected by broker")
