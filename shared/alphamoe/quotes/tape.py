"""An order's tape: the session since the order was placed, as the bar the paper broker's fill rule reads.

A day limit order is matched by one rule (`backtest.fills`, through `broker.paper.match_price`): on a bar
(open, high, low, volume) it fills at the open when marketable there, else at its limit if the bar reached
it, and takes at most a cap of the bar's volume. On quotes the bar is the order's tape, growing with each
snapshot: an order placed before its stock's first print (the normal case: placed at the open) joins the
09:25 auction, so its tape is the day so far (the snapshot's open, high, low and cumulative volume); an
order placed later starts at the first print after it, with the volume traded since. At the close the tape
of an order placed at the open IS the day's bar, so the quote-driven fills add up to the bar-driven ones.
A snapshot whose cumulative volume the tape already holds adds nothing (the cumulative volume only grows):
a restarted feed refilling its gap from the session's history may hand a tape quotes from before its
placement or its last save, and they must not reach its low, high or volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from alphamoe.quotes.model import Quote


@dataclass
class Tape:
    """The session of one order so far; `baseline` is the stock's cumulative volume when it was placed."""

    baseline: int | None  # None: placed before the stock's first print, so it joins the auction
    open: Decimal | None = None
    high: Decimal = Decimal("0")
    low: Decimal = Decimal("0")
    volume: int = 0

    @property
    def started(self) -> bool:
        return self.open is not None

    def add(self, quote: Quote) -> bool:
        """Extend the tape with a snapshot; return whether it holds a print (a trade since placement)."""
        if not quote.traded:
            return self.started
        if self.started and quote.volume <= (self.baseline or 0) + self.volume:
            return True  # no trade since the tape's last print: a snapshot it holds already (a gap refilled)
        if self.baseline is None:  # the day so far is the order's session
            self.open, self.high, self.low, self.volume = quote.open, quote.high, quote.low, quote.volume
            return True
        if self.open is None:
            if quote.volume <= self.baseline:
                return False  # nothing traded since placement yet
            self.open = self.high = self.low = quote.last
        else:
            self.high, self.low = max(self.high, quote.last), min(self.low, quote.last)
        self.volume = quote.volume - self.baseline
        return True
