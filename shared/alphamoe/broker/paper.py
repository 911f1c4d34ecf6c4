"""The paper broker: A-share matching of day limit orders against day D's own bar.

Orders are placed at the open, so a buy fills at the open when the open is at or under its limit, else
at the limit if the day traded down to it; a stock sealed at limit-up all day (high == low == limit-up)
never fills a buy, and one sealed at limit-down never fills a sell. A fill takes at most `volume_cap` of
the day's volume, rounded down to a valid lot. Cash and shares are frozen for open remainders, as a
real broker does, and T+1 keeps today's buys out of `sellable`. Orders the exchange would refuse (odd lots,
off-tick or out-of-band prices, more than the board's per-order maximum, suspended stocks, short sells,
insufficient cash) come back REJECTED with the reason, as an exchange junk order (废单) does.

The paper counter lives in the execute process, so its state dies with it; after a restart `restore` rebuilds
it from the journal, which is the paper counter's truth (see `PaperBroker.restore`).

With `on_quotes=True` (paper trading the open session) an accepted order rests, and each quote of its stock
(`on_quote`) matches it again by the same rule, on its tape (`quotes.tape`: the session since it was placed,
from the 09:25 auction print on) instead of D's bar; it fills as the traded volume grows, up to the cap. The
fees are the order's, on its cumulative fill, so pieces of one fill never add a minimum commission.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal

from alphamoe.backtest.fills import fill_price_fen, volume_room
from alphamoe.broker.orders import TERMINAL, OrderRecord
from alphamoe.broker.protocol import (
    BrokerOrder,
    BrokerUnavailableError,
    Fill,
    OrderCallback,
    SubmitOrder,
    order_view,
    revised,
)
from alphamoe.errors import DataError
from alphamoe.market.bands import NO_LIMIT_FEN
from alphamoe.market.bars import BarStore, DayBar
from alphamoe.market.boards import board_of
from alphamoe.market.corporate import actions_since
from alphamoe.market.dividend_tax import bought, tax_on_sale
from alphamoe.market.fees import FEN, CommissionSchedule, trade_fees
from alphamoe.market.limits import PriceBand, limit_prices
from alphamoe.market.lots import buy_quantity_error, round_buy_quantity, round_sell_quantity, sell_quantity_error
from alphamoe.market.ticks import on_tick, to_price
from alphamoe.portfolio import AccountState, Position
from alphamoe.quotes.model import Quote
from alphamoe.quotes.tape import Tape
from alphamoe.types import Board, OrderStatus, Side

OPEN_STATUSES = frozenset({OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED})
# Per-order maximum of a limit order (SSE/SZSE/BSE trading rules): the exchange junks anything larger.
MAX_ORDER_QUANTITY = {Board.MAIN: 1_000_000, Board.STAR: 100_000, Board.CHINEXT: 300_000, Board.BSE: 1_000_000}


class PaperBroker:
    """A simulated broker session for one trading day and one account."""

    name = "paper"
    simulated = True  # fills simulated approvals (`broker/simulation.py`)

    def __init__(
        self,
        store: BarStore,
        day: date,
        account: AccountState,
        commission: CommissionSchedule,
        *,
        volume_cap: float = 0.1,
        on_quotes: bool = False,
    ) -> None:
        if not 0 < volume_cap <= 1:
            raise ValueError(f"'volume_cap' not in (0, 1], was {volume_cap}")
        if account.trading_day > day:
            raise DataError(f"account state of {account.trading_day} is after the paper session {day}")
        # a state from an earlier day is rolled to D's open: yesterday's buys become sellable (T+1), and the
        # corporate actions gone ex since are applied (a state of D's open has them already)
        opening = (
            account.roll_to(day, actions_since(store, account.trading_day, day))
            if account.trading_day < day
            else account
        )
        self.store = store
        self.day = day
        self.commission = commission
        self.volume_cap = volume_cap
        self._account_id = opening.account_id
        self._cash = opening.cash
        self._receivables = opening.receivables  # dividends gone ex: the day's trading never touches them
        self._positions = {p.symbol: p for p in opening.positions}
        self._orders: dict[str, BrokerOrder] = {}
        self._traded: dict[str, int] = {}  # shares filled per symbol today, against the volume cap
        self._callbacks: list[OrderCallback] = []
        self._bars: dict[str, DayBar] | None = None
        self._closed = False
        self._connected = True
        self._sessions = 0
        self._received = 0  # orders received this session: their broker order number, in arrival order
        self.on_quotes = on_quotes  # match on the day's quotes (`on_quote`), not on its bar
        self._tapes: dict[str, Tape] = {}  # open orders' sessions since placement, by client order id
        self._seen: dict[str, int] = {}  # the cumulative volume of each stock's latest quote
        self._last: dict[str, Decimal] = {}  # each stock's latest trade price: the close's mark
        self._lock = threading.RLock()  # quotes arrive on the feed's thread, orders on the handler's

    # -- session -----------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def session_id(self) -> str:
        return f"paper-{self.day:%Y%m%d}-{self._sessions}"

    def connect(self) -> None:
        self._day_bars()
        self._sessions += 1
        self._connected = True

    def close(self) -> None:
        self._closed = True
        self._connected = False
        self._bars = None  # the day's bars are the session's weight; a released desk keeps none

    def restore(self, records: Iterable[OrderRecord], tapes: Mapping[str, Tape] | None = None) -> None:
        """Rebuild the session from the day's journal records, before the desk subscribes and reconciles.

        Each order the counter answered (it has a paper order number) is replayed in arrival order: its
        journaled fills move cash, shares and the volume cap as they did, and one still open without a fill
        is matched again, as it was at its submit. That match is deterministic and sees the same state, so
        a fill the killed process made but never journaled comes back, and reconciliation journals it. An
        order the journal has but the counter never answered (NEW, UNKNOWN) is left out: reconciliation
        sends it, and it matches as it did. A cancel requested but not answered is lost with the process:
        the order stays open until the close expires it. On quotes, an open order resumes its saved tape
        (`tapes`, by client order id: where it joined the session), else it joins the day so far.
        """
        prefix = self._order_number(0)[:-6]
        answered = sorted(
            (r for r in records if r.broker_order_id.startswith(prefix) and r.trading_day == self.day),
            key=lambda r: r.broker_order_id,
        )
        for record in answered:
            self._received = max(self._received, int(record.broker_order_id[len(prefix) :]))
            order = BrokerOrder(
                client_order_id=record.client_order_id,
                order_id=record.order_id,
                symbol=record.symbol,
                side=record.side,
                quantity=record.quantity,
                limit_price=record.limit_price,
                status=OrderStatus.REJECTED if record.status is OrderStatus.REJECTED else OrderStatus.ACCEPTED,
                reason=record.reason if record.status is OrderStatus.REJECTED else "",
                broker_order_id=record.broker_order_id,
            )
            for fill in record.fills:
                order = self._fill(order, fill)
            if record.status in TERMINAL:
                order = revised(order, status=record.status, reason=record.reason)
            self._orders[order.client_order_id] = order
            if order.status in OPEN_STATUSES and self.on_quotes:  # matched again on the quotes still to come
                saved = (tapes or {}).get(order.client_order_id)
                self._tapes[order.client_order_id] = replace(saved) if saved is not None else Tape(baseline=None)
            elif order.status in OPEN_STATUSES and not order.fills:
                self._orders[order.client_order_id] = self._match(order, self._day_bars()[order.symbol], publish=False)

    def subscribe(self, callback: OrderCallback) -> None:
        self._callbacks.append(callback)

    # -- queries -----------------------------------------------------------------------------------
    def tapes(self) -> dict[str, Tape]:
        """Return copies of the open orders' tapes on quotes (what a restart needs to resume them)."""
        with self._lock:
            return {
                cid: replace(tape) for cid, tape in self._tapes.items() if self._orders[cid].status in OPEN_STATUSES
            }

    def orders(self) -> list[BrokerOrder]:
        return list(self._orders.values())

    def account(self) -> AccountState:
        return AccountState(
            account_id=self._account_id,
            trading_day=self.day,
            cash=self._cash,
            positions=tuple(self._positions[s] for s in sorted(self._positions)),
            receivables=self._receivables,
        )

    # -- commands ----------------------------------------------------------------------------------
    def submit(self, order: SubmitOrder) -> BrokerOrder:
        """Accept and match a day limit order; the same client_order_id again returns the existing order."""
        with self._lock:
            return self._submit(order)

    def _submit(self, order: SubmitOrder) -> BrokerOrder:
        if not self._connected:
            raise BrokerUnavailableError(f"paper session {self.session_id} is closed")
        existing = self._orders.get(order.client_order_id)
        if existing is not None:
            return existing
        self._received += 1
        accepted = order_view(order, OrderStatus.ACCEPTED, broker_order_id=self._order_number(self._received))
        reason = self._rejection(order)
        if reason is not None:
            return self._publish(revised(accepted, status=OrderStatus.REJECTED, reason=reason))
        self._publish(accepted)
        if self.on_quotes:  # rests until quotes match it; placed before the stock's first print, it joins the auction
            self._tapes[order.client_order_id] = Tape(baseline=self._seen.get(order.symbol))
            return accepted
        return self._match(accepted, self._day_bars()[order.symbol])

    def on_quote(self, quote: Quote) -> list[BrokerOrder]:
        """Match the stock's open orders, in arrival order, on their tapes extended by this quote.

        Returns the orders that filled; the subscribers hear of them after the counter's lock is released,
        so a desk that holds its own lock while submitting never waits on this thread.
        """
        if quote.time.date() != self.day:
            raise DataError(f"quote of {quote.symbol} at {quote.time} is not of the paper session {self.day}")
        filled: list[BrokerOrder] = []
        with self._lock:
            if self._closed:
                return filled
            self._seen[quote.symbol] = quote.volume
            if quote.traded:
                self._last[quote.symbol] = quote.last
            for order in list(self._orders.values()):
                tape = self._tapes.get(order.client_order_id)
                if order.symbol != quote.symbol or order.status not in OPEN_STATUSES or tape is None:
                    continue
                if not tape.add(quote) or tape.open is None:
                    continue
                band = _band(self._day_bars()[order.symbol])
                matched = self._match_on(order, tape.open, tape.high, tape.low, tape.volume, band, publish=False)
                if matched is not order:
                    self._orders[order.client_order_id] = matched
                    filled.append(matched)
        for order in filled:
            for callback in self._callbacks:
                callback(order)
        return filled

    def cancel(self, client_order_id: str) -> BrokerOrder:
        """Cancel the open remainder of an order; a finished order is returned unchanged."""
        order = self._orders.get(client_order_id)
        if order is None:
            raise KeyError(f"paper broker has no order {client_order_id!r} on {self.day}")
        if order.status not in OPEN_STATUSES:
            return order
        with self._lock:
            return self._publish(revised(order, status=OrderStatus.CANCELLED, reason="cancelled by request"))

    def end_of_day(self) -> AccountState:
        """Close the session: expire open day orders (fills kept) and mark holdings to D's close."""
        for order in list(self._orders.values()):
            if order.status in OPEN_STATUSES:
                self._publish(revised(order, status=OrderStatus.CANCELLED, reason="day order expired at the close"))
        bars = self._day_bars()
        for symbol, p in list(self._positions.items()):
            bar = bars.get(symbol)
            if self.on_quotes:  # the last trade quoted; a stock without one keeps its last price
                if symbol in self._last:
                    self._positions[symbol] = _position(p, last_price=self._last[symbol])
            elif bar is not None:  # a suspended stock keeps its last price
                self._positions[symbol] = _position(p, last_price=to_price(bar.close))
        self._closed = True
        return self.account()

    # -- matching ----------------------------------------------------------------------------------
    def _day_bars(self) -> dict[str, DayBar]:
        if self._bars is None:
            self._bars = self.store.day(self.day)
        return self._bars

    def _rejection(self, order: SubmitOrder) -> str | None:
        # the checks an exchange or broker front end makes before accepting an order
        if self._closed:
            return f"session {self.day} is closed"
        if order.trading_day != self.day or order.account_id != self._account_id:
            return (
                f"order is for {order.account_id} on {order.trading_day}; this session is "
                f"{self._account_id} on {self.day}"
            )
        bar = self._day_bars().get(order.symbol)
        if bar is None:
            return f"suspended: {order.symbol} has no bar on {self.day}"
        try:
            band = _band(bar)
            held = self._held(order.symbol)
            lot_error = (
                buy_quantity_error(order.symbol, order.quantity)
                if order.side == Side.BUY
                else sell_quantity_error(order.symbol, order.quantity, held)
            )
        except DataError as exc:
            return str(exc)
        if lot_error is not None:
            return lot_error
        maximum = MAX_ORDER_QUANTITY[board_of(order.symbol)]
        if order.quantity > maximum:
            return f"{order.side.value} {order.quantity} of {order.symbol} exceeds the per-order maximum {maximum}"
        if not on_tick(order.limit_price) or not band.contains(order.limit_price):
            return f"limit price {order.limit_price} not on the tick or outside band [{band.down}, {band.up}]"
        if order.side == Side.SELL:
            free = self._free_sellable(order.symbol)
            if order.quantity > free:
                return (
                    f"T+1: SELL {order.quantity} of {order.symbol} exceeds the {free} sellable shares "
                    "(today's buys unlock next session)"
                )
            return None
        cost = _cost(order.symbol, Side.BUY, order.quantity, order.limit_price, self.day, self.commission)
        free_cash = self._free_cash()
        if cost > free_cash:
            return f"insufficient cash: BUY {order.quantity} × {order.limit_price} + fees = {cost} > {free_cash} CNY"
        return None

    def _order_number(self, n: int) -> str:
        return f"P{self.day:%Y%m%d}{n:06d}"

    def _match(self, order: BrokerOrder, bar: DayBar, *, publish: bool = True) -> BrokerOrder:
        open_, high, low = to_price(bar.open), to_price(bar.high), to_price(bar.low)
        return self._match_on(order, open_, high, low, bar.volume, _band(bar), publish=publish)

    def _match_on(
        self,
        order: BrokerOrder,
        open_: Decimal,
        high: Decimal,
        low: Decimal,
        volume: float,
        band: PriceBand,
        *,
        publish: bool = True,
    ) -> BrokerOrder:
        # the one rule on a bar: D's own, or an order's tape of quotes (its session since placement so far).
        # The order's cumulative fill is what the rule gives on that bar; this fill is what it adds.
        price = match_price(order.side, order.limit_price, open_, high, low, band)
        if price is None:
            return order
        room = volume_room(volume, self.volume_cap, self._traded.get(order.symbol, 0) - order.filled_quantity)
        target = min(order.quantity, room)
        if target < order.quantity:  # partial: a valid lot, the rest stays open
            target = (
                round_buy_quantity(order.symbol, target)
                if order.side == Side.BUY
                else round_sell_quantity(order.symbol, target, self._held(order.symbol) + order.filled_quantity)
            )
        quantity = target - order.filled_quantity
        if quantity <= 0:
            return order
        fees = trade_fees(order.symbol, order.side, target, price, self.day, self.commission) - order.fees
        fill = Fill(
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            fees=max(fees, Decimal("0")),
            trade_id=f"{order.client_order_id}-T{len(order.fills) + 1}",
        )
        filled = self._fill(order, fill)
        return self._publish(filled) if publish else filled

    def _fill(self, order: BrokerOrder, fill: Fill) -> BrokerOrder:
        # book one fill (cash, shares, volume cap) and return the order with it
        self._book(order.symbol, order.side, fill.quantity, fill.price, fill.fees)
        filled = order.filled_quantity + fill.quantity
        fills = (*order.fills, fill)
        average = sum((f.price * f.quantity for f in fills), Decimal("0")) / filled
        return revised(
            order,
            status=OrderStatus.FILLED if filled == order.quantity else OrderStatus.PARTIALLY_FILLED,
            filled_quantity=filled,
            average_price=average.quantize(Decimal("0.0001")),
            fees=order.fees + fill.fees,
            fills=fills,
        )

    def _book(self, symbol: str, side: Side, quantity: int, price: Decimal, fees: Decimal) -> None:
        # move cash and shares for one fill
        self._traded[symbol] = self._traded.get(symbol, 0) + quantity
        notional = quantity * price
        p = self._positions.get(symbol)
        if side == Side.BUY:
            self._cash -= notional + fees
            if p is None:
                self._positions[symbol] = Position(
                    symbol=symbol,
                    quantity=quantity,
                    sellable=0,
                    cost=notional + fees,
                    last_price=price,
                    opened=self.day,
                    lots=bought((), self.day, quantity),
                )
            else:  # today's shares are not sellable until the next session (T+1)
                self._positions[symbol] = _position(
                    p,
                    quantity=p.quantity + quantity,
                    cost=p.cost + notional + fees,
                    lots=bought(p.tax_lots(), self.day, quantity),
                )
            return
        assert p is not None, "sell fills are checked against sellable shares"
        tax, lots = tax_on_sale(p.tax_lots(), quantity, self.day)  # the dividend tax collected at the sale
        self._cash += notional - fees - tax
        remaining = p.quantity - quantity
        if remaining == 0:
            del self._positions[symbol]
            return
        cost = (p.cost * remaining / p.quantity).quantize(FEN)  # average cost carries over
        self._positions[symbol] = _position(p, quantity=remaining, sellable=p.sellable - quantity, cost=cost, lots=lots)

    def _held(self, symbol: str) -> int:
        p = self._positions.get(symbol)
        return 0 if p is None else p.quantity

    def _free_sellable(self, symbol: str) -> int:
        p = self._positions.get(symbol)
        frozen = sum(
            o.quantity - o.filled_quantity
            for o in self._orders.values()
            if o.symbol == symbol and o.side == Side.SELL and o.status in OPEN_STATUSES
        )
        return (0 if p is None else p.sellable) - frozen

    def _free_cash(self) -> Decimal:
        frozen = sum(
            (
                _cost(o.symbol, Side.BUY, o.quantity - o.filled_quantity, o.limit_price, self.day, self.commission)
                for o in self._orders.values()
                if o.side == Side.BUY and o.status in OPEN_STATUSES
            ),
            Decimal("0"),
        )
        return self._cash - frozen

    def _publish(self, order: BrokerOrder) -> BrokerOrder:
        self._orders[order.client_order_id] = order
        for callback in self._callbacks:
            callback(order)
        return order


def _band(bar: DayBar) -> PriceBand:
    return limit_prices(bar.symbol, to_price(bar.prev_close), bar.day, st=bar.st, listing_day_index=bar.listing_index)


def fill_price(side: Side, limit: Decimal, bar: DayBar, band: PriceBand) -> Decimal | None:
    """Return where an order placed at the open fills on this bar, or None when it cannot."""
    return match_price(side, limit, to_price(bar.open), to_price(bar.high), to_price(bar.low), band)


def match_price(
    side: Side, limit: Decimal, open_: Decimal, high: Decimal, low: Decimal, band: PriceBand
) -> Decimal | None:
    """Return where an order placed at `open_` fills on a bar (a day's, or a tape of quotes), or None.

    The one matching rule, `backtest.fills.fill_price` (the compiled backtest runs it too), in whole fen:
    sealed at limit-up all day (high == low == limit-up) never fills a buy, sealed at limit-down never a
    sell; else at the open when marketable there, else at the limit if the bar reached it.
    """
    fen = fill_price_fen(side, _fen(limit), _fen(open_), _fen(high), _fen(low), _fen(band.up), _fen(band.down))
    return None if fen is None else Decimal(fen).scaleb(-2)


def _fen(price: Decimal) -> int:
    # a day without an upper limit (NO_LIMIT_UP, infinite) is the backtest's NO_LIMIT_FEN
    return int(price.scaleb(2)) if price.is_finite() else int(NO_LIMIT_FEN)


def _cost(symbol: str, side: Side, quantity: int, price: Decimal, day: date, schedule: CommissionSchedule) -> Decimal:
    if quantity <= 0:
        return Decimal("0")
    return quantity * price + trade_fees(symbol, side, quantity, price, day, schedule)


def _position(p: Position, **changes: object) -> Position:
    return Position.model_validate({**p.model_dump(), **changes})
