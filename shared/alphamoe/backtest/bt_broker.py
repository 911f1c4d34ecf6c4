"""An A-share broker for Backtrader: dated fees with the minimum commission, lots, T+1, sealed boards.

It applies the scalar rules of `alphamoe.market` to Backtrader's own order matching (a limit order placed
at the open fills at the open when it is at or better than the limit, else at the limit if the bar reaches
it) so a backtest in Backtrader checks the vectorised engine against independent code:
- fees: `market.fees.trade_fees` on the fill's shares and price, dated by the bar (the rule book's eras);
- lots: an order that breaks the board's lot rule is rejected at submission;
- T+1: a sell may not exceed the shares held before the session's own buys (and the new shares of its
  corporate actions, which the strategy applies at the open and `locked` holds back);
- a bar sealed at limit-up all day fills no buy, one sealed at limit-down fills no sell (bands from
  `market.limits.limit_prices` on the bar's previous close, ST flag and listing day);
- a suspended day (no bar: `traded` line 0) fills nothing;
- a buy needs cash for quantity × limit + fees; an order left open freezes that much until it expires,
  as `broker.paper` does; a fill takes at most `volume_cap` of the day's volume in whole lots;
- the dividend tax collected at a sale (`market.dividend_tax.tax_on_sale` on the position's tax `lots`,
  which a buy extends and the strategy carries over corporate actions) leaves the cash as the fill does.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import backtrader as bt

from alphamoe.errors import DataError
from alphamoe.market.dividend_tax import TaxLot, bought, tax_on_sale
from alphamoe.market.fees import CommissionSchedule, trade_fees
from alphamoe.market.limits import limit_prices
from alphamoe.market.lots import buy_quantity_error, round_buy_quantity, round_sell_quantity, sell_quantity_error
from alphamoe.market.ticks import to_price
from alphamoe.types import Side


class AShareCommission(bt.CommInfoBase):  # type: ignore[misc]
    """Commission + stamp duty + transfer fee of `market.fees`, exact to the fen, dated by the data's bar."""

    params = (
        ("stocklike", True),
        ("commtype", bt.CommInfoBase.COMM_FIXED),
        ("percabs", True),
        ("symbol", ""),
        ("schedule", CommissionSchedule()),
        ("feed", None),
    )

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        side = Side.BUY if size > 0 else Side.SELL
        day: date = self.p.feed.datetime.date(0)
        return float(trade_fees(self.p.symbol, side, int(abs(size)), to_price(price), day, self.p.schedule))


class AShareBroker(bt.brokers.BackBroker):  # type: ignore[misc]
    """Backtrader's BackBroker with the A-share rules of the module docstring."""

    params = (("volume_cap", 0.1), ("schedule", CommissionSchedule()))

    def __init__(self) -> None:
        super().__init__()
        self._bought: Counter[Any] = Counter()  # shares bought today per data (T+1)
        self._filled: Counter[Any] = Counter()  # shares filled today per data (volume cap)
        self._frozen = 0.0  # cash of open buy remainders
        self.locked: Counter[Any] = Counter()  # new shares of the next session's corporate actions, per data
        self.unfilled: Counter[str] = Counter()
        self.reasons: dict[int, str] = {}  # why each order (by ref) was not filled in full, as the count says
        self.lots: dict[str, tuple[TaxLot, ...]] = {}  # each position's tax lots
        self.taxes: dict[int, Decimal] = {}  # the dividend tax each sell order (by ref) collected
        self.set_checksubmit(False)
        self.set_filler(self._volume_filler)

    def submit(self, order: bt.Order, check: bool = True) -> bt.Order:
        symbol = order.data._name
        quantity = int(abs(order.size))
        try:
            if order.isbuy():
                error = buy_quantity_error(symbol, quantity)
            else:
                error = sell_quantity_error(symbol, quantity, int(self.getposition(order.data).size))
        except DataError as exc:
            error = str(exc)
        if error is not None:
            order.reject(self)
            self.notify(order)
            self.miss(order, "lot")
            return order
        return super().submit(order, check)

    def miss(self, order: bt.Order, reason: str) -> None:
        """Count and keep why `order` is not filled in full (`backtest.analysis.UNFILLED_MEANINGS`' names)."""
        self.unfilled[reason] += 1
        self.reasons[order.ref] = reason

    def next(self) -> None:
        # called once per session (every feed carries every session): T+1 unlocks yesterday's buys,
        # the volume caps and the cash frozen for open orders start afresh
        self._bought.clear()
        self._bought.update(self.locked)  # a corporate action's new shares list the session after its ex date
        self.locked.clear()
        self._filled.clear()
        self._frozen = 0.0
        super().next()

    def _try_exec(self, order: bt.Order) -> None:
        data = order.data
        if not data.traded[0]:
            self.miss(order, "suspended")
            return
        symbol, quantity = data._name, int(abs(order.executed.remsize))
        band = limit_prices(
            symbol,
            to_price(data.prev_close[0]),
            data.datetime.date(0),
            st=bool(data.st[0]),
            listing_day_index=int(data.listing[0]),
        )
        high, low = to_price(data.high[0]), to_price(data.low[0])
        limit = Decimal(str(order.created.price))
        if order.isbuy():
            cost = self._cost(symbol, Side.BUY, quantity, limit, data)
            if cost > self.cash - self._frozen + 1e-9:
                self.miss(order, "cash")
                order.margin()
                self.notify(order)
                return
            if high == low == band.up:
                self.miss(order, "sealed_limit_up")
            else:
                self._exec_and_book(order)
            remainder = int(abs(order.executed.remsize))
            if order.alive() and remainder:
                self._frozen += self._cost(symbol, Side.BUY, remainder, limit, data)
            return
        sellable = int(self.getposition(data).size) - self._bought[data]
        if quantity > sellable:
            self.miss(order, "t_plus_one")
            order.reject(self)
            self.notify(order)
            return
        if high == low == band.down:
            self.miss(order, "sealed_limit_down")
            return
        self._exec_and_book(order)

    def _exec_and_book(self, order: bt.Order) -> None:
        # Backtrader's matching, then the fill's tax lots and the dividend tax a sale collects
        before = int(abs(order.executed.size))
        super()._try_exec(order)
        quantity = int(abs(order.executed.size)) - before
        if not quantity:
            return
        symbol, day = order.data._name, order.data.datetime.date(0)
        if order.isbuy():
            self.lots[symbol] = bought(self.lots.get(symbol, ()), day, quantity)
            return
        tax, self.lots[symbol] = tax_on_sale(self.lots[symbol], quantity, day)
        self.taxes[order.ref] = self.taxes.get(order.ref, Decimal(0)) + tax
        self.cash -= float(tax)

    def _volume_filler(self, order: bt.Order, price: float, ago: int) -> int:
        data = order.data
        wanted = int(abs(order.executed.remsize))
        room = max(int(self.p.volume_cap * data.volume[ago]) - self._filled[data], 0)
        quantity = wanted
        if room < wanted:
            held = int(self.getposition(data).size)
            quantity = (
                round_buy_quantity(data._name, room) if order.isbuy() else round_sell_quantity(data._name, room, held)
            )
        if quantity <= 0:
            self.miss(order, "volume_cap")
        self._filled[data] += quantity
        if order.isbuy():
            self._bought[data] += quantity
        return quantity

    def _cost(self, symbol: str, side: Side, quantity: int, price: Decimal, data: Any) -> float:
        fees = trade_fees(symbol, side, quantity, price, data.datetime.date(0), self.p.schedule)
        return float(quantity * price + fees)
