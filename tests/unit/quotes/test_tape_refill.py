"""A tape handed a snapshot it already holds (a restarted feed refilling its gap from the tick history) stays put.

Before the fix an earlier snapshot handed again reached a started tape: a price from before the order was
placed could become its low (a buy limit below every print since placement would fill) and its volume went
back, even below zero.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from alphamoe.quotes.model import Quote
from alphamoe.quotes.replay import EXCHANGE_TZ
from alphamoe.quotes.tape import Tape

DAY = date(2024, 7, 1)


def quote(at: time, last: str, high: str, low: str, volume: int) -> Quote:
    return Quote(
        symbol="600000.SH", time=datetime.combine(DAY, at, EXCHANGE_TZ), last=Decimal(last), open=Decimal("10.10"),
        high=Decimal(high), low=Decimal(low), last_close=Decimal("10.00"), volume=volume,
        amount=Decimal(last) * volume,
    )  # fmt: skip


SESSION = [
    quote(time(9, 25), "10.10", "10.10", "10.10", 50_000),  # the auction print
    quote(time(9, 31), "9.80", "10.10", "9.80", 55_000),
    quote(time(9, 40), "9.95", "10.10", "9.80", 200_000),
    quote(time(10, 30), "10.30", "10.30", "9.80", 400_000),
]


def test_tape_when_a_snapshot_it_holds_is_handed_again_then_the_tape_is_unchanged() -> None:
    for baseline in (None, 60_000):  # an auction order, and one placed at 09:35 (after 55,000 shares)
        tape = Tape(baseline)
        for q in SESSION:
            tape.add(q)
        held = Tape(tape.baseline, tape.open, tape.high, tape.low, tape.volume)

        for q in SESSION:  # the gap refilled from the day's first tick
            assert tape.add(q)
            assert tape == held, f"{q.time:%H:%M} moved the tape of an order with baseline {baseline}"

        assert held.volume == 400_000 - (baseline or 0)
        assert held.low == (Decimal("9.80") if baseline is None else Decimal("9.95"))
