"""`run` of today, the session still open and no bar of today in the store: the paper broker trades it on a
stand-in xtdata stream (`broker.simulated.xtdata`, pushing ticks from a thread), and the account closes on today.

Before quotes, a run of a day the store has no bars for failed ("no bars for …")."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from support.keys import APPROVAL_SECRET

from alphamoe.broker.simulated.xtdata import SimXtdata, xt_tick
from alphamoe.events import event_type_of
from alphamoe.events import payloads as ev
from alphamoe.market.bars import BarStore
from alphamoe.market.calendar import TradingCalendar
from alphamoe.market.ticks import to_price
from alphamoe.pipeline.run import run_day
from alphamoe.quotes.model import Quote
from alphamoe.quotes.xtdata import XtdataQuotes
from alphamoe.router.config import RouteSettings
from alphamoe.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _script(store: BarStore, today: Any) -> list[tuple[str, dict[str, Any]]]:
    """Today's ticks of every stock that traded yesterday: the auction at yesterday's close, up 2%, close up 1%."""
    yesterday = store.sessions()[-1]
    path = [(time(9, 25), Decimal("1.00"), 100_000), (time(10, 30), Decimal("1.02"), 500_000)]
    path.append((time(14, 59, 58), Decimal("1.01"), 1_000_000))
    script = []
    for at, factor, volume in path:
        for symbol, bar in sorted(store.day(yesterday).items()):
            close = to_price(bar.close)
            last = (close * factor).quantize(Decimal("0.01"))
            quote = Quote(
                symbol=symbol,
                time=datetime.combine(today, at, SHANGHAI),
                last=last,
                open=close,
                high=max(close, last),
                low=close,
                last_close=close,
                volume=volume,
                amount=last * volume,
            )
            script.append((symbol, xt_tick(quote)))
    return script


def test_run_of_today_when_quotes_stream_then_session_trades_and_account_closes_on_today(
    market_dir: Path, tmp_path: Path
) -> None:
    store = BarStore(market_dir)
    today = TradingCalendar(store.sessions()).next_session(store.sessions()[-1])
    assert today is not None and today not in store.sessions()
    xtdata = SimXtdata(_script(store, today))
    source = XtdataQuotes(xtdata, now=xtdata.now, poll_s=0.05)
    settings = Settings(
        data=market_dir,
        runs=tmp_path / "runs",
        approval_secret=APPROVAL_SECRET.decode(),
        route=RouteSettings(mode="none"),
    )
    result = run_day(settings, today, quotes=source)  # the stand-in's clock (xtdata.now) ends the session
    xtdata.join()

    fills = [e.payload for e in result.events if e.type == event_type_of(ev.OrderFilled)]
    assert result.report.orders, "the scan of yesterday's close proposed orders for today"
    assert fills, "orders filled on today's quotes"
    closes = {s: to_price(b.close) for s, b in store.day(store.sessions()[-1]).items()}
    for fill in fills:  # joined the 09:25 auction: filled at its print, yesterday's close in this script
        assert fill.fill_price == closes[fill.symbol]
    closed = result.report
    assert closed.trading_day == today and closed.positions
    for position in closed.positions:  # marked to today's last quote
        assert position.last_price == (closes[position.symbol] * Decimal("1.01")).quantize(Decimal("0.01"))
