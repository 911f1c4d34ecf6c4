"""A stand-in for a live `xtquant.xtdata` session driven by the test: ticks arrive when the test pushes them.

Same names and shapes as xtdata (`subscribe_whole_quote(code_list, callback)` → seq, `callback({code: tick})`,
`get_full_tick(code_list)` → the latest tick per code, `unsubscribe_quote(seq)`); market codes ('SH', 'SZ',
'BJ') subscribe a whole market. Unlike `broker.simulated.xtdata.SimXtdata` (a script replayed per
subscription), this is one exchange shared by every subscriber: a subscriber that comes later (a restarted
execute) hears only what is pushed after it, and the snapshot so far. Every tick pushed is also the day's
tick history, which xtdata serves as `download_history_data(code, period="tick", start_time, end_time)` (to
the client) then `get_market_data_ex([], codes, period="tick", start_time, end_time)` → `{code: DataFrame}`, a
row per tick; as in xtdata, a code not downloaded first has no history. `now()` is the exchange clock the test
sets (the time of the last tick pushed, or `close()`'s time).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from alphamoe.broker.simulated.xtdata import xt_tick
from alphamoe.quotes.model import Quote
from alphamoe.quotes.replay import EXCHANGE_TZ


class LiveXtdata:
    """xtdata's quote functions over ticks the test pushes (`push`), to every current subscriber."""

    def __init__(self) -> None:
        self._latest: dict[str, dict[str, Any]] = {}
        self._history: dict[str, list[dict[str, Any]]] = {}  # every tick pushed, by code, in time order
        self._downloaded: set[str] = set()
        self._subscribers: dict[int, tuple[list[str], Callable[[dict[str, Any]], None]]] = {}
        self._seq = 0
        self._clock = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._clock

    def push(self, quote: Quote) -> None:
        """The exchange publishes a snapshot: it becomes the latest, and every subscriber hears it."""
        tick = xt_tick(quote)
        with self._lock:
            self._latest[quote.symbol] = tick
            self._history.setdefault(quote.symbol, []).append(tick)
            self._clock = max(self._clock, quote.time)
            listeners = [cb for codes, cb in self._subscribers.values() if _wanted(quote.symbol, codes)]
        for callback in listeners:
            callback({quote.symbol: dict(tick)})

    def close(self, at: datetime) -> None:
        """Move the exchange clock to `at` (past the close: a waiting stream ends)."""
        with self._lock:
            self._clock = max(self._clock, at)

    def get_full_tick(self, code_list: list[str]) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {c: dict(t) for c, t in self._latest.items() if _wanted(c, code_list)}

    def download_history_data(
        self, stock_code: str, period: str = "", start_time: str = "", end_time: str = "", incrementally: Any = None
    ) -> None:
        if period != "tick":
            raise ValueError(f"this stand-in keeps tick history only, not period {period!r}")
        with self._lock:
            self._downloaded.add(stock_code)

    def get_market_data_ex(
        self,
        field_list: list[str] | None = None,
        stock_list: list[str] | None = None,
        period: str = "1d",
        start_time: str = "",
        end_time: str = "",
        count: int = -1,
        dividend_type: str = "none",
        fill_data: bool = True,
    ) -> dict[str, pd.DataFrame]:
        if period != "tick":
            raise ValueError(f"this stand-in keeps tick history only, not period {period!r}")
        start, end = _ms(start_time, 0), _ms(end_time, 2**62)
        out = {}
        with self._lock:
            for code in stock_list or []:
                if code not in self._downloaded:
                    continue
                rows = [t for t in self._history.get(code, []) if start <= t["time"] <= end]
                index = [datetime.fromtimestamp(t["time"] / 1000, EXCHANGE_TZ).strftime("%Y%m%d%H%M%S") for t in rows]
                frame = pd.DataFrame(rows, index=index)
                out[code] = frame[field_list] if field_list else frame
        return out

    def subscribe_whole_quote(self, code_list: list[str], callback: Callable[[dict[str, Any]], None]) -> int:
        with self._lock:
            self._seq += 1
            self._subscribers[self._seq] = (list(code_list), callback)
            return self._seq

    def unsubscribe_quote(self, seq: int) -> None:
        with self._lock:
            self._subscribers.pop(seq, None)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)


def _ms(text: str, default: int) -> int:
    # xtdata's "YYYYmmddHHMMSS" (exchange time) as ms since the epoch; "" is open-ended
    if not text:
        return default
    return int(datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=EXCHANGE_TZ).timestamp() * 1000)


def _wanted(code: str, code_list: list[str]) -> bool:
    return code in code_list or code.rsplit(".", 1)[-1] in code_list
