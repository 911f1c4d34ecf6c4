"""Live quotes from MiniQMT through xtquant's `xtdata`: its real functions and tick fields.

xtdata (dict.thinktrader.net, "data structure": the get_full_tick / subscribe_whole_quote tick) pushes,
for `subscribe_whole_quote(code_list, callback)`, `callback({stock_code: tick})`, and `get_full_tick(code_list)`
returns the same `{stock_code: tick}`; each tick holds `time` (ms since the epoch), `lastPrice`, `open`,
`high`, `low`, `lastClose` (前收盘价), `amount` (成交总额, CNY), `volume` (成交总量, in 手 = 100 shares;
`pvolume`, the raw share count, is "not recommended" and often 0), `stockStatus`, `askPrice`/`bidPrice`
(five levels) and `askVol`/`bidVol` (in 手). `unsubscribe_quote(seq)` ends a subscription. The day's ticks so
far come from its history: `download_history_data(code, period="tick", start_time, end_time)` brings them to
the client, then `get_market_data_ex([], codes, period="tick", start_time, end_time)` returns
`{stock_code: DataFrame}`, a row per tick with the same fields. xtquant is
Windows-only, so it is imported when a source is first used, unless a module is given (the tests give
`broker.simulated.xtdata`, a stand-in with the same names).
"""

from __future__ import annotations

import importlib
import queue
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from alphamoe.errors import ConfigurationError, DataError
from alphamoe.market.ticks import to_price
from alphamoe.quotes.model import Quote
from alphamoe.quotes.replay import EXCHANGE_TZ

SHARES_PER_HAND = 100  # xtdata's volume unit for stocks (手)
WHOLE_MARKET = ("SH", "SZ", "BJ")  # market codes subscribe_whole_quote takes for every stock of a market


def import_xtdata() -> Any:
    """Import xtquant.xtdata now (Windows, MiniQMT running) or say what is missing."""
    try:
        return importlib.import_module("xtquant.xtdata")
    except ImportError as exc:
        raise ConfigurationError(
            "--quotes xtdata (ALPHAMOE_QUOTES__SOURCE=xtdata) needs xtquant and a running MiniQMT on this host "
            f"(Windows; pip install 'alphamoe[miniqmt]'), or use --quotes replay for a past day: {exc}"
        ) from exc


def tick_quote(code: str, tick: Mapping[str, Any]) -> Quote:
    """Translate one xtdata tick into a Quote (volumes from 手 to shares, `time` ms to exchange time)."""
    try:
        return Quote(
            symbol=code,
            time=datetime.fromtimestamp(int(tick["time"]) / 1000, UTC).astimezone(EXCHANGE_TZ),
            last=to_price(float(tick["lastPrice"])),
            open=to_price(float(tick["open"])),
            high=to_price(float(tick["high"])),
            low=to_price(float(tick["low"])),
            last_close=to_price(float(tick["lastClose"])),
            volume=int(tick["volume"]) * SHARES_PER_HAND,
            amount=Decimal(str(tick["amount"])),
            bid_price=tuple(to_price(float(p)) for p in tick.get("bidPrice", ())[:5]),
            bid_volume=tuple(int(v) * SHARES_PER_HAND for v in tick.get("bidVol", ())[:5]),
            ask_price=tuple(to_price(float(p)) for p in tick.get("askPrice", ())[:5]),
            ask_volume=tuple(int(v) * SHARES_PER_HAND for v in tick.get("askVol", ())[:5]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"xtdata tick of {code} is malformed ({type(exc).__name__}: {exc}): {dict(tick)}") from exc


class XtdataQuotes:
    """A live quote source on xtdata's whole-quote push; `now` is the exchange clock that ends a quiet stream."""

    name = "xtdata"
    live = True

    def __init__(
        self, xtdata: Any | None = None, *, now: Callable[[], datetime] | None = None, poll_s: float = 1.0
    ) -> None:
        self._xtdata = xtdata
        self.now = now or (lambda: datetime.now(EXCHANGE_TZ))
        self.poll_s = poll_s

    @property
    def xtdata(self) -> Any:
        if self._xtdata is None:
            self._xtdata = import_xtdata()
        return self._xtdata

    def previous_closes(self, day: date, symbols: Collection[str] | None) -> dict[str, Decimal]:
        """Return each stock's previous close for `day`: `lastClose` of a tick of `day`, else (before the
        exchange publishes `day`'s first snapshot) the last price of the previous session's final tick."""
        out: dict[str, Decimal] = {}
        for code, tick in self.xtdata.get_full_tick(list(symbols or WHOLE_MARKET)).items():
            quote = tick_quote(code, tick)
            out[code] = quote.last_close if quote.time.date() == day else quote.last or quote.last_close
        return out

    def snapshot(self, day: date, symbols: Collection[str] | None) -> list[Quote]:
        """Return `day`'s latest tick of each stock (`get_full_tick`), in symbol order; none before its first."""
        ticks = self.xtdata.get_full_tick(list(symbols) if symbols else list(WHOLE_MARKET))
        quotes = (tick_quote(code, tick) for code, tick in sorted(ticks.items()))
        return [q for q in quotes if q.time.date() == day]

    def history(self, day: date, symbols: Collection[str], until: time) -> list[Quote]:
        """Return `day`'s ticks of `symbols` the exchange published before `until`, in time order (xtdata's tick
        history, module docstring): the quotes a feed that was down missed."""
        codes = sorted(symbols)
        if not codes:
            return []
        start, end = f"{day:%Y%m%d}000000", f"{datetime.combine(day, until):%Y%m%d%H%M%S}"
        for code in codes:
            self.xtdata.download_history_data(code, period="tick", start_time=start, end_time=end)
        frames = self.xtdata.get_market_data_ex([], codes, period="tick", start_time=start, end_time=end)
        quotes = [tick_quote(code, row) for code in codes if code in frames for row in frames[code].to_dict("records")]
        return sorted((q for q in quotes if q.time.date() == day), key=lambda q: (q.time, q.symbol))

    def quotes(
        self, day: date, symbols: Collection[str] | None, until: time, *, stop: threading.Event | None = None
    ) -> Iterator[Quote]:
        """Yield `day`'s ticks as xtdata pushes them: first the snapshot so far (`get_full_tick`), then the
        pushes, until a tick or the clock reaches `until`, or `stop` is set. Ticks of another day are skipped."""
        codes = list(symbols) if symbols else list(WHOLE_MARKET)
        end = datetime.combine(day, until, EXCHANGE_TZ)
        pushed: queue.Queue[dict[str, Any]] = queue.Queue()
        seq = self.xtdata.subscribe_whole_quote(codes, callback=pushed.put)
        try:
            batches: Iterator[dict[str, Any]] = iter([self.xtdata.get_full_tick(codes)])
            while True:
                batch = next(batches, None)
                if batch is None:
                    try:
                        batch = pushed.get(timeout=self.poll_s)
                    except queue.Empty:
                        if self.now() >= end or (stop is not None and stop.is_set()):
                            return
                        continue
                for code, tick in sorted(batch.items()):
                    quote = tick_quote(code, tick)
                    if quote.time >= end:
                        return
                    if quote.time.date() == day:
                        yield quote
        finally:
            self.xtdata.unsubscribe_quote(seq)
