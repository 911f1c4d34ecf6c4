"""The company's name as it stood before a decision: read from the bars, never from today's instrument table.

A stock's name carries its status (`*ST东电`, `XD浦发银`): the current name of a stock that became *ST later
would leak that into an earlier day's prompt. So the name of day D's prompt is the one printed on the
stock's last bar before D (within `lookback_days`), read once per day.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

from alphamoe.market.bars import BarStore


class PointInTimeNames:
    """symbol, day → the name printed on the symbol's last bar before `day` ("" when none)."""

    def __init__(self, store: BarStore, *, lookback_days: int = 30) -> None:
        self.store = store
        self.lookback_days = lookback_days
        self._days: dict[date, dict[str, str]] = {}
        self._lock = threading.Lock()  # experts of one batch ask from several threads

    def _names_before(self, day: date) -> dict[str, str]:
        with self._lock:
            if day not in self._days:
                start, until = day - timedelta(days=self.lookback_days), day - timedelta(days=1)
                frame = self.store.frame(start, until, columns=["date", "symbol", "name"])
                last = frame.sort_values(["date", "symbol"]).drop_duplicates("symbol", keep="last")
                self._days[day] = {str(s): str(n) for s, n in zip(last["symbol"], last["name"], strict=True)}
            return self._days[day]

    def __call__(self, symbol: str, day: date) -> str:
        return self._names_before(day).get(symbol, "")
