"""A stand-in for `xtquant.xtdata`: the real function names, callback shape and tick fields, fed a script.

`subscribe_whole_quote(code_list, callback)` starts a background thread that pushes the scripted ticks
(`callback({stock_code: tick})`, as xtdata does) of the subscribed codes (or of a whole market, 'SH'/'SZ'/'BJ'),
`get_full_tick(code_list)` answers the latest tick per code, and `unsubscribe_quote(seq)` stops the pushes.
`now()` is the stand-in's exchange clock: the time of the last pushed tick, and an hour past the last one
when the script is done, so a source waiting for the close stops. `xt_tick` writes a Quote as an xtdata tick
(volumes in 手), to script a session from a replayed day.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from alphamoe.quotes.model import Quote

SHARES_PER_HAND = 100


def xt_tick(quote: Quote) -> dict[str, Any]:
    """Return a Quote as the tick dict xtdata pushes (the get_full_tick fields)."""
    return {
        "time": int(quote.time.astimezone(UTC).timestamp() * 1000),
        "lastPrice": float(quote.last),
        "open": float(quote.open),
        "high": float(quote.high),
        "low": float(quote.low),
        "lastClose": float(quote.last_close),
        "amount": float(quote.amount),
        "volume": quote.volume // SHARES_PER_HAND,
        "pvolume": 0,
        "stockStatus": 3,
        "openInt": 13,
        "transactionNum": 0,
        "lastSettlementPrice": 0.0,
        "settlementPrice": 0.0,
        "askPrice": [float(p) for p in quote.ask_price],
        "askVol": [v // SHARES_PER_HAND for v in quote.ask_volume],
        "bidPrice": [float(p) for p in quote.bid_price],
        "bidVol": [v // SHARES_PER_HAND for v in quote.bid_volume],
    }


class SimXtdata:
    """The xtdata module's quote functions over a script of (code, tick) in time order."""

    def __init__(self, script: Iterable[tuple[str, dict[str, Any]]], *, interval_s: float = 0.0) -> None:
        self.script = list(script)
        self.interval_s = interval_s
        self._latest: dict[str, dict[str, Any]] = {}
        self._clock: datetime | None = None
        self._stop: dict[int, threading.Event] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.done = threading.Event()

    def now(self) -> datetime:
        with self._lock:
            if self._clock is None:
                return datetime.min.replace(tzinfo=UTC)
            return self._clock + timedelta(hours=1) if self.done.is_set() else self._clock

    def get_full_tick(self, code_list: list[str]) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {c: dict(t) for c, t in self._latest.items() if _wanted(c, code_list)}

    def subscribe_whole_quote(self, code_list: list[str], callback: Callable[[dict[str, Any]], None]) -> int:
        seq = len(self._stop) + 1
        stop = self._stop[seq] = threading.Event()
        thread = threading.Thread(target=self._push, args=(code_list, callback, stop), name=f"sim-xtdata-{seq}")
        self._threads.append(thread)
        thread.start()
        return seq

    def unsubscribe_quote(self, seq: int) -> None:
        self._stop[seq].set()

    def join(self, timeout: float = 5.0) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _push(self, codes: list[str], callback: Callable[[dict[str, Any]], None], stop: threading.Event) -> None:
        for code, tick in self.script:
            if stop.wait(self.interval_s) if self.interval_s else stop.is_set():
                return
            with self._lock:
                self._latest[code] = tick
                self._clock = datetime.fromtimestamp(tick["time"] / 1000, UTC)
            if _wanted(code, codes):
                callback({code: dict(tick)})
        self.done.set()


def _wanted(code: str, code_list: list[str]) -> bool:
    return code in code_list or code.rsplit(".", 1)[-1] in code_list
