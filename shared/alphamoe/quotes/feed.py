"""A live session's quotes pumped on a thread: what the cluster's execute runs between the open and the close.

A live source (xtdata) delivers at the exchange's pace while orders arrive, so its quotes are handed to the
paper broker as they come, and an order placed later sees only later quotes (`quotes.tape`). The feed first
delivers the session so far (the source's snapshot) on the caller's thread, so an order placed right after
`start` returns has its baseline; then a thread follows the pushes until the source ends (the close) or
`stop`. A feed started again after its process was down first delivers the session's history of the stocks
it names in `refill` (those with open orders): the quotes missed while down, in time order, before the
snapshot. A replay is known in full and is not run here: execute feeds it in one go at the close.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterator
from datetime import date, datetime, time
from typing import Protocol, runtime_checkable

from alphamoe.quotes.model import Quote
from alphamoe.quotes.source import SESSION_CLOSE, QuoteSource

log = logging.getLogger("alphamoe.quotes")
STOP_WAIT_S = 10.0


@runtime_checkable
class LiveQuoteSource(QuoteSource, Protocol):
    """A real-time source (quotes.xtdata.XtdataQuotes): a snapshot of the day so far, and a stream that stops."""

    def snapshot(self, day: date, symbols: Collection[str] | None) -> list[Quote]: ...

    def history(self, day: date, symbols: Collection[str], until: time) -> list[Quote]: ...

    def quotes(
        self, day: date, symbols: Collection[str] | None, until: time, *, stop: threading.Event | None = None
    ) -> Iterator[Quote]: ...


class QuoteFeed:
    """`day`'s quotes of the whole market (`symbols` None) from `source` to `deliver`, on one thread."""

    def __init__(
        self,
        source: LiveQuoteSource,
        day: date,
        deliver: Callable[[Quote], None],
        *,
        symbols: Collection[str] | None = None,
        until: time = SESSION_CLOSE,
        refill: Collection[str] = (),
    ) -> None:
        self.source, self.day, self.deliver, self.symbols, self.until = source, day, deliver, symbols, until
        self.refill = refill
        self.delivered = 0
        self.last: datetime | None = None  # the time of the latest quote delivered
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._progress = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"quote-feed-{day:%Y%m%d}", daemon=True)

    def start(self) -> None:
        """Deliver the session so far, here (the `refill` stocks' history first), then follow the pushes on
        the feed's thread."""
        for quote in self.source.history(self.day, self.refill, self.until) if self.refill else ():
            self._hand(quote)
        for quote in self.source.snapshot(self.day, self.symbols):
            self._hand(quote)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout_s: float = STOP_WAIT_S) -> None:
        """Stop following (market.close); return once the thread has delivered its last quote."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def wait_until(self, at: datetime, timeout_s: float = STOP_WAIT_S) -> bool:
        """Wait until a quote of time `at` or later was delivered (or the feed ended); True if it was."""
        with self._progress:
            self._progress.wait_for(
                lambda: (self.last is not None and self.last >= at) or not self._thread.is_alive(), timeout_s
            )
            return self.last is not None and self.last >= at

    def _hand(self, quote: Quote) -> None:
        self.deliver(quote)
        with self._progress:
            self.delivered += 1
            self.last = quote.time if self.last is None else max(self.last, quote.time)
            self._progress.notify_all()

    def _run(self) -> None:
        try:
            for quote in self.source.quotes(self.day, self.symbols, self.until, stop=self._stop):
                if self._stop.is_set():
                    break
                self._hand(quote)
        except Exception as exc:  # a dead feed must be seen: the close still feeds the closing snapshot
            self.error = exc
            log.exception("quote feed of %s stopped", self.day)
        finally:
            with self._progress:
                self._progress.notify_all()
