"""Pre-trade risk rules: pure checks of one order against the account, the day's reference and the batch.

Each rule returns None or a RuleViolation with a stable code and a message that gives the numbers. The
day so far (cash committed, sells pending, orders approved, order counts) comes in through RiskContext,
never from globals, Redis or the clock, so a replay gives the same decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from alphamoe.errors import DataError
from alphamoe.events.payloads import OrderProposed, RuleViolation
from alphamoe.market.boards import board_key
from alphamoe.market.fees import CommissionSchedule, DayFees, day_fees
from alphamoe.market.lots import buy_lot, buy_quantity_error, sell_quantity_error
from alphamoe.market.reference import ReferenceData
from alphamoe.market.ticks import on_tick, tick_size
from alphamoe.portfolio import AccountState, Position
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.state import TradingState
from alphamoe.types import Side

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class Holdings:
    """The account at the open, indexed once per batch: positions by symbol, equity, value by group."""

    positions: Mapping[str, Position]
    equity: Decimal
    by_board: Mapping[str, Decimal]
    by_industry: Mapping[str, Decimal]

    @staticmethod
    def of(account: AccountState, facts: MarketFacts) -> Holdings:
        positions = {p.symbol: p for p in account.positions}
        board: dict[str, Decimal] = {}
        industry: dict[str, Decimal] = {}
        for p in account.positions:
            value = p.quantity * p.last_price
            board[board_key(p.symbol)] = board.get(board_key(p.symbol), ZERO) + value
            if (name := facts.industry(p.symbol)) is not None:
                industry[name] = industry.get(name, ZERO) + value
        return Holdings(positions, account.equity, board, industry)

    def value(self, symbol: str) -> Decimal:
        p = self.positions.get(symbol)
        return ZERO if p is None else p.quantity * p.last_price


@dataclass(slots=True)
class RiskContext:
    """Everything a rule may look at: the account at the open, D's reference data and the day so far.

    Rules only read it; the engine alone advances the day-so-far fields after each approval.
    """

    day: date
    account: AccountState
    reference: Mapping[str, ReferenceData]
    limits: RiskLimits
    state: TradingState
    commission: CommissionSchedule
    buy_cost: Decimal = ZERO  # notional + fees of buys approved earlier today
    buy_notional: Mapping[str, Decimal] = field(default_factory=dict)  # by symbol, approved earlier
    pending_sells: Mapping[str, int] = field(default_factory=dict)  # shares, approved earlier
    approved: Collection[str] = frozenset()  # order ids approved on the day so far
    board_notional: Mapping[str, Decimal] = field(default_factory=dict)  # buys approved earlier, by board
    industry_notional: Mapping[str, Decimal] = field(default_factory=dict)  # buys approved earlier, by industry
    facts: MarketFacts = field(default_factory=MarketFacts)
    state_reason: str = ""
    orders_this_second: int = 0  # approvals in the current one-second window
    active_orders: int = 0  # approved and not yet terminal
    cancels_today: int = 0
    holdings: Holdings | None = field(default=None, init=False)  # derived from `account` and `facts`
    fee_memo: dict[tuple[str, Side, int, Decimal], Decimal] = field(
        default_factory=dict
    )  # cash rule and claims share it

    ceilings: tuple[Decimal, Decimal, Decimal] = field(init=False)  # stock, board, industry caps in CNY
    day_fees: DayFees = field(init=False)  # the day's fee rates, looked up once
    book: Holdings = field(init=False)  # = holdings, typed as set (a plain slot: rules read it per order)

    def __post_init__(self) -> None:
        self.day_fees = day_fees(self.day, self.commission.rate, self.commission.minimum)
        if self.holdings is None:
            self.holdings = Holdings.of(self.account, self.facts)
        self.book = self.holdings
        equity, limits = self.holdings.equity, self.limits
        self.ceilings = (
            equity * as_decimal(limits.max_position_weight),
            equity * as_decimal(limits.max_board_weight),
            equity * as_decimal(limits.max_industry_weight),
        )

    def held(self, symbol: str) -> int:
        """Return shares held and not already promised to an approved sell."""
        position = self.book.positions.get(symbol)
        return (0 if position is None else position.quantity) - self.pending_sells.get(symbol, 0)

    def sellable(self, symbol: str) -> int:
        """Return T+1 sellable shares not already promised to an approved sell."""
        position = self.book.positions.get(symbol)
        return (0 if position is None else position.sellable) - self.pending_sells.get(symbol, 0)

    def fees(self, order: OrderProposed) -> Decimal:
        key = (order.symbol, order.side, order.quantity, order.limit_price)
        if (fee := self.fee_memo.get(key)) is None:
            fee = self.fee_memo[key] = self.day_fees(*key)
        return fee

    def why(self) -> str:
        return f"trading state {self.state}" + (f" ({self.state_reason})" if self.state_reason else "")


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
    """REDUCING passes only sells within the holding; HALTED passes no new order (cancels only)."""
    if ctx.state == TradingState.ACTIVE:
        return None
    if ctx.state == TradingState.HALTED:
        return _violation("KILL_SWITCH", f"{ctx.why()}: no new orders, only cancels of working ones")
    held = ctx.held(order.symbol)
    if order.side == Side.BUY:
        return _violation("KILL_SWITCH", f"{ctx.why()}: buys are blocked; only exposure-reducing sells pass")
    if order.quantity > held:
        return _violation(
            "KILL_SWITCH",
            f"{ctx.why()}: SELL {order.quantity} of {order.symbol} exceeds the {held} shares held, "
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


def check_daily_cancel_cap(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    """Orders and cancels share the exchanges' per-day programme-trading count."""
    used, cap = len(ctx.approved) + ctx.cancels_today, ctx.limits.max_orders_and_cancels_per_day
    if used >= cap:
        return _violation(
            "DAILY_CANCEL_CAP",
            f"{len(ctx.approved)} orders + {ctx.cancels_today} cancels = {used} on {ctx.day}; "
            f"the orders-and-cancels cap is {cap}",
        )
    return None


def check_order_rate(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    cap = ctx.limits.max_orders_per_second
    if ctx.orders_this_second >= cap:
        return _violation(
            "ORDER_RATE", f"{ctx.orders_this_second} orders approved in this second; the throttle is {cap}/s"
        )
    return None


def check_active_orders(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    cap = ctx.limits.max_active_orders
    if ctx.active_orders >= cap:
        return _violation("ACTIVE_ORDER_CAP", f"{ctx.active_orders} orders are working; the cap is {cap}")
    return None


def check_symbol_trading(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if order.symbol not in ctx.reference:
        return _violation(
            "SYMBOL_NOT_TRADING", f"{order.symbol} has no pre-open reference on {ctx.day}: suspended or delisted"
        )
    return None


def check_delisting(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if order.side == Side.BUY and order.symbol in ctx.facts.delisting and not ctx.limits.allow_delisting_buys:
        return _violation(
            "DELISTING", f"{order.symbol} is in its delisting period (退) on {ctx.day}; buys are not allowed"
        )
    return None


@lru_cache(maxsize=16384)
def buy_lot_of(symbol: str) -> tuple[int, int] | None:
    """Return the board's (minimum buy, step) for a symbol, looked up once (None: not a stock code)."""
    try:
        return buy_lot(symbol)
    except DataError:
        return None


def check_lot_size(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    lot = buy_lot_of(order.symbol)
    if (
        lot is not None
        and order.side == Side.BUY
        and order.quantity >= lot[0]
        and (order.quantity - lot[0]) % lot[1] == 0
    ):
        return None  # the common valid buy, decided from the cached lot
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


def check_locked_limit_up(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if order.side == Side.BUY and order.symbol in ctx.facts.locked_limit_up:
        return _violation(
            "LOCKED_LIMIT_UP",
            f"{order.symbol} is locked at limit-up (one-price board before {ctx.day}); a buy would queue unfilled",
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
            f"today that exceeds the {cash} CNY cash",
        )
    return None


@lru_cache(maxsize=64)
def as_decimal(value: float) -> Decimal:
    """Return the Decimal a float setting reads as (0.1 → Decimal('0.1'), not its binary expansion)."""
    return Decimal(repr(value))


def _over_cap(after: Decimal, equity: Decimal, ceiling: Decimal) -> bool:
    return equity <= 0 or after > ceiling


def _weight(after: Decimal, equity: Decimal) -> str:
    return f"{after / equity:.4f}" if equity > 0 else "unbounded"


def check_max_position_weight(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if order.side != Side.BUY:
        return None
    equity, cap = ctx.book.equity, ctx.limits.max_position_weight
    after = ctx.book.value(order.symbol) + ctx.buy_notional.get(order.symbol, ZERO) + notional(order)
    if _over_cap(after, equity, ctx.ceilings[0]):
        return _violation(
            "MAX_POSITION_WEIGHT",
            f"{order.symbol} would be {after} CNY = {_weight(after, equity)} of equity {equity} after the fill; "
            f"the cap is {cap}",
        )
    return None


def check_max_board_weight(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    if order.side != Side.BUY:
        return None
    board, equity, cap = board_key(order.symbol), ctx.book.equity, ctx.limits.max_board_weight
    after = ctx.book.by_board.get(board, ZERO) + ctx.board_notional.get(board, ZERO) + notional(order)
    if _over_cap(after, equity, ctx.ceilings[1]):
        return _violation(
            "MAX_BOARD_WEIGHT",
            f"board {board} would hold {after} CNY = {_weight(after, equity)} of equity {equity} after buying "
            f"{order.symbol}; the cap is {cap}",
        )
    return None


def check_max_industry_weight(order: OrderProposed, ctx: RiskContext) -> RuleViolation | None:
    industry = ctx.facts.industry(order.symbol)
    if order.side != Side.BUY or industry is None:  # no industry in the data: the board and stock caps still hold
        return None
    equity, cap = ctx.book.equity, ctx.limits.max_industry_weight
    after = ctx.book.by_industry.get(industry, ZERO) + ctx.industry_notional.get(industry, ZERO) + notional(order)
    if _over_cap(after, equity, ctx.ceilings[2]):
        return _violation(
            "MAX_INDUSTRY_WEIGHT",
            f"industry {industry} would hold {after} CNY = {_weight(after, equity)} of equity {equity} after "
            f"buying {order.symbol}; the cap is {cap}",
        )
    return None


RULES: tuple[tuple[str, Rule], ...] = (
    ("TRADING_DAY", check_trading_day),
    ("ACCOUNT", check_account),
    ("KILL_SWITCH", check_kill_switch),
    ("DUPLICATE_ORDER", check_duplicate_order),
    ("DAILY_ORDER_CAP", check_daily_order_cap),
    ("DAILY_CANCEL_CAP", check_daily_cancel_cap),
    ("ORDER_RATE", check_order_rate),
    ("ACTIVE_ORDER_CAP", check_active_orders),
    ("SYMBOL_NOT_TRADING", check_symbol_trading),
    ("DELISTING", check_delisting),
    ("LOT_SIZE", check_lot_size),
    ("PRICE_TICK", check_price_tick),
    ("PRICE_BAND", check_price_band),
    ("LOCKED_LIMIT_UP", check_locked_limit_up),
    ("ST_BUY", check_st_buy),
    ("MAX_ORDER_QUANTITY", check_max_order_quantity),
    ("MAX_ORDER_NOTIONAL", check_max_order_notional),
    ("T_PLUS_ONE", check_t_plus_one),
    ("CASH", check_cash),
    ("MAX_POSITION_WEIGHT", check_max_position_weight),
    ("MAX_BOARD_WEIGHT", check_max_board_weight),
    ("MAX_INDUSTRY_WEIGHT", check_max_industry_weight),
)
"""Every rule, in the fixed order the engine applies them, under the code its violations carry."""

_BUY_ONLY = frozenset(
    {
        "DELISTING",
        "LOCKED_LIMIT_UP",
        "ST_BUY",
        "CASH",
        "MAX_POSITION_WEIGHT",
        "MAX_BOARD_WEIGHT",
        "MAX_INDUSTRY_WEIGHT",
    }
)
_SELL_ONLY = frozenset({"T_PLUS_ONE"})
RULES_BY_SIDE: Mapping[Side, tuple[tuple[str, Rule], ...]] = {
    Side.BUY: tuple((code, rule) for code, rule in RULES if code not in _SELL_ONLY),
    Side.SELL: tuple((code, rule) for code, rule in RULES if code not in _BUY_ONLY),
}
"""RULES without those that can only pass for the other side: the same verdicts, fewer calls."""
