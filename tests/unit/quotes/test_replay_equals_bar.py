"""A past real day replayed as quotes fills exactly as the bar-based paper broker does on that day's bar."""

from __future__ import annotations

from datetime import date, time
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest

from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import SubmitOrder
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.market.ticks import to_price
from alphamoe.portfolio import AccountState, Position
from alphamoe.quotes.replay import StoreReplay
from alphamoe.quotes.source import SESSION_CLOSE
from alphamoe.types import Side

COMMISSION = CommissionSchedule()


def _orders(store: BarStore, day: date) -> tuple[list[SubmitOrder], tuple[Position, ...]]:
    """One order per stock, as the pipeline sends: buys and sells of a holding, alternating, with limits at
    +1%, 0% and −1% of the previous close, so some fill at the open and some only later at their limit."""
    orders, positions = [], []
    for k, (symbol, bar) in enumerate(sorted(store.day(day).items())):
        prev = to_price(bar.prev_close)
        side = Side.BUY if k % 2 == 0 else Side.SELL
        factor = Decimal(("1.01", "1.00", "0.99", "1.00")[k % 4])
        orders.append(
            SubmitOrder(
                client_order_id=f"{symbol}-{side.value}",
                order_id=f"{day}:acc:{symbol}:{side.value}",
                account_id="acc",
                trading_day=day,
                symbol=symbol,
                side=side,
                quantity=200_000 if side == Side.BUY else 150_000,
                limit_price=(prev * factor).quantize(Decimal("0.01"), rounding=ROUND_DOWN),
            )
        )
        positions.append(
            Position(symbol=symbol, quantity=150_050, sellable=150_050, cost=prev * 150_050, last_price=prev)
        )
    return orders, tuple(positions)


def _session(store: BarStore, day: date, *, on_quotes: bool) -> PaperBroker:
    orders, positions = _orders(store, day)
    account = AccountState(account_id="acc", trading_day=day, cash=Decimal("1e9"), positions=positions)
    paper = PaperBroker(store, day, account, COMMISSION, volume_cap=0.05, on_quotes=on_quotes)
    for order in orders:
        paper.submit(order)
    if on_quotes:
        for quote in StoreReplay(store).quotes(day, None, SESSION_CLOSE):
            paper.on_quote(quote)
    return paper


@pytest.mark.parametrize("offset", [5, 200, 900, 1500, 2400, 3000])
def test_replayed_day_when_matched_on_quotes_then_same_fills_and_account_as_bar(
    real_backtest_store: Path, offset: int
) -> None:
    store = BarStore(real_backtest_store)
    day = store.sessions()[offset]
    by_bar, by_quotes = _session(store, day, on_quotes=False), _session(store, day, on_quotes=True)
    closed_bar, closed_quotes = by_bar.end_of_day(), by_quotes.end_of_day()
    bar_orders = {o.client_order_id: o for o in by_bar.orders()}
    quote_orders = {o.client_order_id: o for o in by_quotes.orders()}
    assert bar_orders.keys() == quote_orders.keys()
    for cid, o in bar_orders.items():
        q = quote_orders[cid]
        assert (q.status, q.filled_quantity, q.average_price, q.fees) == (
            o.status,
            o.filled_quantity,
            o.average_price,
            o.fees,
        ), cid
    assert closed_quotes == closed_bar
    # the quotes really paced the fills: some order filled in more than one piece as the volume traded
    assert any(len(q.fills) > 1 for q in quote_orders.values())
    assert any(o.filled_quantity for o in bar_orders.values())


def test_replay_when_until_before_close_then_stream_stops_there(real_backtest_store: Path) -> None:
    store = BarStore(real_backtest_store)
    day = store.sessions()[900]
    times = {q.time.time() for q in StoreReplay(store).quotes(day, None, time(11, 0))}
    assert times == {time(9, 25), time(10, 30)}
