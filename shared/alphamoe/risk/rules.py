"""Pre-trade risk rules: pure checks of one order against the account, the day's reference and the batch.

Each rule returns None or a RuleViolation with a stable code and a message that gives the numbers. The
batch so far (cash committed, sells pending, orders approved) comes in through RiskContext, never from
globals, so a replay gives the same decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from alphamoe.errors import DataError
from alphamoe.events.payloads import OrderProposed, RuleViolation
from alphamoe.market.fees import CommissionSchedule, trade_fees
from alphamoe.market.lots import buy_quantity_error, sell_quantity_error
from alphamoe.market.reference import ReferenceData
from alphamoe.market.ticks import on_tick, tick_size
from alphamoe.portfolio import AccountState
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.state import TradingState
from alphamoe.types import Side


@dataclass(frozen=True, slots=True)
class RiskContext:
    """Everything a rule may look at: the account at the open, D's reference data and the batch so far."""

    day: date
    account: AccountState
    reference: Mapping[str, ReferenceData]
    limits: RiskLimits
    state: TradingState
    commission: CommissionSchedule
    buy_cost: Decimal = Decimal("0")  # notional + fees of buys approved earlier in the batch
    buy_notional: Mapping[str, Decimal] = field(default_factory=dict)  # by symbol, approved earlier
    pending_sells: Mapping[str, int] = field(default_factory=dict)  # shares, approved earlier
    approved: frozenset[str] = frozenset()  # order ids approved on the day so far

    def held(self, symbol: str) -> int:
        """Return shares held and not already promised to an approved sell."""
        position = self.account.position(symbol)
        return (0 if position is None else position.quantity) - self.pending_sells.get(symbol, 0)

    def sellable(self, symbol: str) -> int:
        """Return T+1 sellable shares not already promised to an approved sell."""
        position = self.account.position(symbol)
        return (0 if position is None else position.sellable) - self.pending_sells.get(symbol, 0)

    def fees(self, order: OrderProposed) -> Decimal:
        return trade_fees(order.symbol, order.side, notional(order), self.day, self.commission)


Rule = Callable[[OrderProposed, RiskContext], RuleViolation | None]


def notional(order: OrderProposed) -> Decimal:
    return order.quantity * order.limit_price


def _violation(code: str, message: str) -> RuleViolation:
    return RuleViolation(code=code, message=message)


def check_trading_day(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if order.trading_day != ctx.day:
        return _violation("TRADING_DAY", f"order {order.order_id} is for {order.trading_day}, the session is {ctx.day}")
    return None


def check_account(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if order.account_id != ctx.account.account_id:
        return _violation(
            "ACCOUNT", f"order {order.order_id} is for account {order.account_id!r}, not {ctx.account.account_id!r}"
        )
    return None


def check_kill_switch(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    """REDUCING blocks buys; HALTED also blocks any sell that would not simply reduce a holding."""
    if ctx.state == TradingState.ACTIVE:
        return None
    if order.side == Side.BUY:
        return _violation(
            "KILL_SWITCH", f"trading state {ctx.state}: buys are blocked; only exposure-reducing sells pass"
        )
    held = ctx.held(order.symbol)
    if ctx.state == TradingState.HALTED and order.quantity > held:
        return _violation(
            "KILL_SWITCH",
            f"trading state HALTED: SELL {order.quantity} of {order.symbol} exceeds the {held} shares held, "
            "so it does not reduce exposure",
        )
    return None


def check_duplicate_order(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if order.order_id in ctx.approved:
        return _violation("DUPLICATE_ORDER", f"order {order.order_id} was already approved on {ctx.day}")
    return None


def check_daily_order_cap(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    cap = ctx.limits.max_orders_per_day
    if len(ctx.approved) >= cap:
        return _violation(
            "DAILY_ORDER_CAP", f"{len(ctx.approved)} orders already approved on {ctx.day}; the cap is {cap}"
        )
    return None


def check_symbol_trading(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if order.symbol not in ctx.reference:
        return _violation(
            "SYMBOL_NOT_TRADING", f"{order.symbol} has no pre-open reference on {ctx.day}: suspended or delisted"
        )
    return None


def check_lot_size(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    try:
        if order.side == Side.BUY:
            error = buy_quantity_error(order.symbol, order.quantity)
        else:
            error = sell_quantity_error(order.symbol, order.quantity, ctx.held(order.symbol))
    except DataError as exc:  # not a stock code: no board, no lot rule
        error = str(exc)
    return None if error is None else _violation("LOT_SIZE", error)


def check_price_tick(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if not on_tick(order.limit_price):
        return _violation(
            "PRICE_TICK", f"limit price {order.limit_price} of {order.symbol} is not on the {tick_size()} tick"
        )
    return None


def check_price_band(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    ref = ctx.reference.get(order.symbol)
    if ref is not None and not ref.band.contains(order.limit_price):
        return _violation(
            "PRICE_BAND",
            f"limit price {order.limit_price} outside band [{ref.band.down}, {ref.band.up}] "
            f"for {order.symbol} on {ctx.day}",
        )
    return None


def check_st_buy(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    ref = ctx.reference.get(order.symbol)
    if order.side == Side.BUY and ref is not None and ref.st and not ctx.limits.allow_st_buys:
        return _violation("ST_BUY", f"{order.symbol} is under risk warning (ST) on {ctx.day}; ST buys are not allowed")
    return None


def check_max_order_quantity(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    cap = ctx.limits.max_order_quantity
    if order.quantity > cap:
        return _violation("MAX_ORDER_QUANTITY", f"{order.quantity} shares of {order.symbol} exceed the {cap} cap")
    return None


def check_max_order_notional(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    value, cap = notional(order), ctx.limits.max_order_notional
    if value > cap:
        return _violation(
            "MAX_ORDER_NOTIONAL",
            f"{order.quantity} × {order.limit_price} = {value} CNY of {order.symbol} exceeds the {cap} CNY cap",
        )
    return None


def check_t_plus_one(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if order.side != Side.SELL:
        return None
    available = ctx.sellable(order.symbol)
    if order.quantity > available:
        pending = ctx.pending_sells.get(order.symbol, 0)
        return _violation(
            "T_PLUS_ONE",
            f"SELL {order.quantity} of {order.symbol} exceeds the {available} sellable shares "
            f"({available + pending} sellable less {pending} in approved sells; today's buys unlock next session)",
        )
    return None


def check_cash(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if order.side != Side.BUY:
        return None
    cost = notional(order) + ctx.fees(order)
    cash = ctx.account.cash
    if ctx.buy_cost + cost > cash:
        return _violation(
            "CASH",
            f"BUY {order.symbol} costs {cost} CNY incl. fees; with {ctx.buy_cost} CNY already committed "
            f"in this batch that exceeds the {cash} CNY cash",
        )
    return None


def check_max_position_weight(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if order.side != Side.BUY:
        return None
    equity, cap = ctx.account.equity, ctx.limits.max_position_weight
    position = ctx.account.position(order.symbol)
    held = Decimal("0") if position is None else position.quantity * position.last_price
    after = held + ctx.buy_notional.get(order.symbol, Decimal("0")) + notional(order)
    if equity <= 0 or after / equity > Decimal(repr(cap)):
        weight = f"{after / equity:.4f}" if equity > 0 else "unbounded"
        return _violation(
            "MAX_POSITION_WEIGHT",
            f"{order.symbol} would be {after} CNY = {weight} of equity {equity} after the fill; the cap is {cap}",
        )
    return None


RULES: tuple[tuple[str, Rule], ...] = (
    ("TRADING_DAY", check_trading_day),
    ("ACCOUNT", check_account),
    ("KILL_SWITCH", check_kill_switch),
    ("DUPLICATE_ORDER", check_duplicate_order),
    ("DAILY_ORDER_CAP", check_daily_order_cap),
    ("SYMBOL_NOT_TRADING", check_symbol_trading),
    ("LOT_SIZE", check_lot_size),
    ("PRICE_TICK", check_price_tick),
    ("PRICE_BAND", check_price_band),
    ("ST_BUY", check_st_buy),
    ("MAX_ORDER_QUANTITY", check_max_order_quantity),
    ("MAX_ORDER_NOTIONAL", check_max_order_notional),
    ("T_PLUS_ONE", check_t_plus_one),
    ("CASH", check_cash),
    ("MAX_POSITION_WEIGHT", check_max_position_weight),
)
"""Every rule, in the fixed order the engine applies them, under the code its violations carry."""
