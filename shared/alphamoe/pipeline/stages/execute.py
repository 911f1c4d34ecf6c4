"""The execute stage: order.approved and market.close to the execution service; paper sessions by default.

market.open starts the live quote feed of a paper session on live quotes (nothing else happens at the open)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, time
from typing import Any

from alphamoe.broker.clutch import Clutch
from alphamoe.broker.desk import DeskConfig, OrderDesk
from alphamoe.broker.journal import Journal, MemoryJournal, RedisJournal
from alphamoe.broker.lock import DayLocks
from alphamoe.broker.orders import OPEN
from alphamoe.broker.outbox import Publish
from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import Broker
from alphamoe.broker.service import BrokerFactory, ExecutionService
from alphamoe.clock.sessions import untraded_reason
from alphamoe.errors import ConfigurationError, NoTradingDayError
from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import MarketClose, MarketOpen, OrderApproved, OrderRejected
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages.common import Outputs, expect
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.pipeline.stages.protocol import BaseStage
from alphamoe.portfolio import AccountState
from alphamoe.quotes.feed import LiveQuoteSource, QuoteFeed
from alphamoe.quotes.model import Quote
from alphamoe.quotes.source import SESSION_CLOSE, QuoteSource
from alphamoe.quotes.tape import Tape
from alphamoe.quotes.tapes import MemoryTapeBook, RedisTapeBook, TapeBook
from alphamoe.risk.reservations import ReservationBook


class ExecuteStage(BaseStage):
    """order.approved → order.submitted / filled / cancelled / failed; market.close → expire, snapshot.

    Only orders whose approval HMAC verifies reach the broker (DESIGN.md §5); anything else is parked in
    the journal and refused. Each trading day has an order desk: journal first, then the broker; its
    market.close expires what rests, writes the account snapshot (atomically) and releases the desk. With
    risk's `reservations`, an order that ends frees its working-order claim (ExecutionService.release).

    With a live quote source (xtdata) market.open (or, in a process that missed it, the day's first
    approval) starts a feed thread (`quotes.feed`) that hands quotes to the paper broker as they come, so an
    order placed later sees only later quotes; one lock keeps the feed and the handling of events off the
    paper broker at the same time; market.close stops the feed before the snapshot; a restarted process
    resumes it (`start`), the open orders on their saved tapes (`tapes`), refilled first with the quotes of
    their stocks it missed while down (the source's history). A replay is fed at market.close in one go
    (exact: every order was placed at the open).
    """

    name = "execute"

    def __init__(
        self,
        data: MarketData,
        accounts: AccountBook,
        secret: bytes,
        commission: CommissionSchedule,
        *,
        journal: Journal | None = None,
        brokers: BrokerFactory | None = None,
        desk: DeskConfig | None = None,
        reconcile_every_s: float | None = None,
        today: Callable[[], date] | None = None,
        reservations: ReservationBook | None = None,
        locks: DayLocks | None = None,
        clutch: Clutch | None = None,
        tapes: TapeBook | None = None,
    ) -> None:
        self.data, self.accounts, self.secret, self.commission = data, accounts, secret, commission
        self.service = ExecutionService(
            journal if journal is not None else MemoryJournal(),
            brokers or self._paper,
            secret,
            desk=desk or DeskConfig(fees=commission),  # reconciliation checks the fees against the schedule
            reconcile_every_s=reconcile_every_s,
            today=today,
            reservations=reservations,
            locks=locks,
            clutch=clutch,
        )
        self.journal = self.service.journal
        self.quotes: QuoteSource | None = None  # paper trading the open session: fills on these quotes
        self._fed: set[date] = set()  # days whose session was fed the quotes in this process
        self.follow_live = False  # with a live source, follow the session on a feed thread (the function's)
        self._session = threading.RLock()  # the one lock of the paper session: events and the quote feed
        self._feeds: dict[date, QuoteFeed] = {}  # live feeds of this process, by day
        self._saved: dict[tuple[date, str], Tape] = {}  # tapes as last saved, by (day, client order id)
        journal_now = self.service.journal
        self.tapes: TapeBook = tapes or (
            RedisTapeBook(journal_now.client, f"{journal_now.key}:tapes")
            if isinstance(journal_now, RedisJournal)
            else MemoryTapeBook()
        )

    def _paper(self, day: date) -> Broker:
        # the paper counter dies with this process: a restarted one is rebuilt from the journal, its truth
        self.data.open_day(day)  # today, before the store has its bars: its opening rows
        opening = self.accounts.opening_state(day)
        broker = PaperBroker(self.data.store, day, opening, self.commission, on_quotes=self.quotes is not None)
        broker.restore(self.journal.records(day), self.tapes.load(day) if self.quotes is not None else None)
        return broker

    def _paper_of(self, day: date) -> PaperBroker:
        broker = self.broker(day)
        if not isinstance(broker, PaperBroker):
            raise ConfigurationError(f"quotes drive the paper broker only, not {broker.name}")
        return broker

    def follow(self, day: date) -> QuoteFeed | None:
        """Start (once per process) the live feed of `day`'s session; None for no source, a replay or a closed
        day. The session so far is delivered before this returns, so the next order is placed after it: the
        open orders' stocks from the source's history (what a restarted process missed), then the snapshot."""
        source = self.quotes
        if not self.follow_live or source is None or not source.live or not isinstance(source, LiveQuoteSource):
            return None
        with self._session:
            if day in self._feeds or self.journal.closing(day) is not None:
                return self._feeds.get(day)
            broker = self._paper_of(day)
            self._fed.add(day)

            def deliver(quote: Quote) -> None:
                with self._session:
                    broker.on_quote(quote)
                    self._save_tapes(day, broker)

            refill = sorted({o.symbol for o in broker.orders() if o.status in OPEN})
            feed = self._feeds[day] = QuoteFeed(source, day, deliver, refill=refill)
            feed.start()
            return feed

    def feed(self, day: date) -> QuoteFeed | None:
        """Return the live feed this process runs for `day` (None: none running)."""
        return self._feeds.get(day)

    def _save_tapes(self, day: date, broker: PaperBroker) -> None:
        # only what changed since the last save: a quote moves few tapes
        changed = {cid: t for cid, t in broker.tapes().items() if self._saved.get((day, cid)) != t}
        if changed:
            self.tapes.save(day, changed)
            self._saved.update({(day, cid): t for cid, t in changed.items()})

    def _unfollow(self, day: date) -> None:
        feed = self._feeds.pop(day, None)
        if feed is not None:
            feed.stop()

    def _require_traded(self, day: date) -> None:
        # no snapshot for a day that was not traded (a holiday, a day past the data): the next open would start
        # from it. A day the journal holds orders for was traded, whatever the store says now.
        self.data.open_day(day)
        reason = untraded_reason(self.data.calendar, self.data.store.sessions(), day)
        if reason is not None and self.journal.closing(day) is None and not self.journal.records(day):
            raise NoTradingDayError(f"market.close of {day.isoformat()} refused, no account snapshot written: {reason}")

    def trade_session(self, day: date, until: time = SESSION_CLOSE) -> int:
        """Feed `day`'s quotes to its paper session until `until` (the close); return how many were matched.

        The stream covers the stocks with orders and the holdings (their close marks the account). Fed
        again (a restarted process), each order's tape starts over at the auction and adds no fill twice.
        """
        if self.quotes is None:
            return 0
        self._fed.add(day)
        broker = self._paper_of(day)
        symbols = {o.symbol for o in broker.orders()} | {p.symbol for p in broker.account().positions}
        count = 0
        for quote in self.quotes.quotes(day, sorted(symbols), until):
            broker.on_quote(quote)
            count += 1
        return count

    def closing(self, day: date) -> AccountState:
        """Return the account at `day`'s close (kept in the journal, not in this process); KeyError if open."""
        state = self.journal.closing(day)
        if state is None:
            raise KeyError(f"trading day {day} is not closed")
        return state

    def desk(self, day: date) -> OrderDesk:
        return self.service.desk(day)

    def broker(self, day: date) -> Broker:
        return self.service.desk(day).broker

    def start(self) -> None:
        """Recover after a restart: reconcile every day the journal still has open orders for, and follow the
        live quotes of those days again (a session still open resumes its feed)."""
        self.service.start()
        for day in sorted({r.trading_day for r in self.journal.records() if not r.terminal}):
            self.follow(day)

    def health(self) -> tuple[bool, str]:
        """Readiness: every open day's session connected and reconciled (the runtime's readiness probe)."""
        return self.service.health()

    def publish_with(self, publish: Publish) -> None:
        """Flush the journal's outbox to the bus from a thread (the function with Redis): broker pushes
        between events go out at once, and what a killed process journaled goes out after its restart."""
        self.service.publish_with(publish)

    def stop(self) -> None:
        for day in list(self._feeds):
            self._unfollow(day)
        self.service.stop()

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        if isinstance(envelope.payload, MarketClose):
            self._unfollow(envelope.payload.trading_day)  # outside the lock: its last quote may wait for it
            with self._session:
                return self._close(envelope, envelope.payload.trading_day)
        if isinstance(envelope.payload, OrderRejected):
            return []
        if isinstance(envelope.payload, MarketOpen):
            if envelope.replay_of is None:  # a replayed run is fed at its close, in one go
                self.follow(envelope.payload.trading_day)  # the session's quotes from the open on
            return []
        approved = expect(envelope, OrderApproved)
        if approved.order.account_id != self.accounts.account_id:
            # one execute per account (issue 20): another account's order never reaches this account's
            # broker; that account's execute reads it from the same stream
            return []
        self.follow(approved.trading_day)
        with self._session:
            outputs = self.service.execute(envelope, approved)
            if approved.trading_day in self._feeds:
                self._save_tapes(approved.trading_day, self._paper_of(approved.trading_day))
            return outputs

    def _close(self, envelope: Envelope[Any], day: date) -> Outputs:
        self._require_traded(day)
        if self.quotes is not None and day not in self._fed and self.journal.closing(day) is None:
            # a function fed nothing between the open and now: the session's quotes until the close
            self.trade_session(day)
        state, outputs = self.service.close_day(envelope, day)
        self.accounts.save_close(state)
        return outputs
