"""The engine's fast pass: one pass over an order that clears it only when no rule could object.

The 22 rules (`alphamoe.risk.rules`) stay the definition of risk: an order the gate does not clear goes
through every rule, which names each violation. The gate only answers "does every rule pass?" for the
common case, from per-symbol facts worked out once per batch (band, lot, board, industry, ST, delisting,
locked limit-up, holding value), with the same comparisons, in the same Decimal arithmetic, as the rules.
It never clears an order a rule would reject (tests/unit/risk/test_gate.py checks it against the rules);
it may decline one the rules pass, which then costs only the full check.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from alphamoe.events.payloads import OrderProposed
from alphamoe.market.boards import board_key
from alphamoe.market.ticks import tick_size
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.rules import ZERO, RiskContext, buy_lot_of, check_lot_size, check_t_plus_one
from alphamoe.risk.state import TradingState
from alphamoe.types import Side


class Booking(NamedTuple):
    """What an approved order adds to the day so far, worked out while clearing it (a sell books shares only)."""

    value: Decimal  # notional
    cost: Decimal  # notional + fees, for a buy; 0 for a sell
    board: str
    industry: str | None


_ACTIVE, _BUY, _SELL = TradingState.ACTIVE, Side.BUY, Side.SELL  # enum members read once, not per order


class Gate:
    """Clear orders of one batch against one RiskContext, which the engine advances after each approval.

    What does not change within the batch (the day, the account, the limits, the holdings) is read once here.
    """

    __slots__ = (
        "_blocked",
        "_caps",
        "_cash",
        "_ctx",
        "_industry",
        "_key",
        "_order_caps",
        "_positive_equity",
        "_st_blocked",
        "_tick",
    )

    def __init__(self, ctx: RiskContext) -> None:
        limits, facts = ctx.limits, ctx.facts
        self._ctx = ctx
        self._tick = tick_size()
        self._key = (ctx.day, ctx.account.account_id)
        self._order_caps = (
            limits.max_orders_per_day,
            limits.max_orders_and_cancels_per_day,
            limits.max_orders_per_second,
            limits.max_active_orders,
        )
        self._caps = (limits.max_order_quantity, limits.max_order_notional)
        # MarketFacts.industry is a lookup in `industries`; call the dict's own get (a subclass keeps its method)
        self._industry = facts.industries.get if type(facts) is MarketFacts else facts.industry
        # symbols no buy may clear, whatever the order: delisting (unless allowed) and locked at limit-up
        self._blocked = facts.locked_limit_up | (frozenset() if limits.allow_delisting_buys else facts.delisting)
        self._st_blocked = not limits.allow_st_buys
        self._cash = ctx.account.cash
        self._positive_equity = ctx.book.equity > 0

    def clear(self, order: OrderProposed) -> Booking | None:
        """Return the order's booking only when every rule of RULES passes it in the context's current state."""
        ctx = self._ctx
        if ctx.state != _ACTIVE or (order.trading_day, order.account_id) != self._key:
            return None
        approved = ctx.approved
        per_day, with_cancels, per_second, active = self._order_caps
        if (
            order.order_id in approved
            or len(approved) >= per_day
            or len(approved) + ctx.cancels_today >= with_cancels
            or ctx.orders_this_second >= per_second
            or ctx.active_orders >= active
        ):
            return None
        symbol = order.symbol
        ref = ctx.reference.get(symbol)
        if ref is None:
            return None
        price, quantity = order.limit_price, order.quantity
        down, up = ref.band
        if not down <= price <= up or price != price.quantize(self._tick):
            return None
        value = quantity * price
        max_quantity, max_notional = self._caps
        if quantity > max_quantity or value > max_notional:
            return None
        if order.side == _SELL:
            if check_lot_size(order, ctx) is None and check_t_plus_one(order, ctx) is None:
                return Booking(value, ZERO, "", None)
            return None
        lot = buy_lot_of(symbol)
        if lot is None or quantity < lot[0] or (quantity - lot[0]) % lot[1]:
            return None
        if symbol in self._blocked or (ref.st and self._st_blocked) or not self._positive_equity:
            return None
        cost = value + ctx.day_fees(symbol, _BUY, quantity, price)  # = notional + ctx.fees(order), without the memo
        if ctx.buy_cost + cost > self._cash:
            return None
        book = ctx.book
        stock_cap, board_cap, industry_cap = ctx.ceilings
        held = ZERO if (position := book.positions.get(symbol)) is None else position.quantity * position.last_price
        if held + ctx.buy_notional.get(symbol, ZERO) + value > stock_cap:  # held = book.value(symbol)
            return None
        board = board_key(symbol)
        if book.by_board.get(board, ZERO) + ctx.board_notional.get(board, ZERO) + value > board_cap:
            return None
        industry = self._industry(symbol)
        if (
            industry is not None
            and book.by_industry.get(industry, ZERO) + ctx.industry_notional.get(industry, ZERO) + value > industry_cap
        ):
            return None
        return Booking(value, cost, board, industry)
