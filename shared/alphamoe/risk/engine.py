"""The risk engine: run every rule over a sized batch, reserve the day's limits, sign what passes.

Risk trusts nothing of the sender's bookkeeping: an order's id is derived here from its terms and day
(`sizing.allocate.order_id`), and the day's limits live in one ledger per account and trading day, so a new
run id or a new order id cannot book the same day twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal

from alphamoe.events.payloads import OrderApproved, OrderProposed, OrderRejected, RuleViolation
from alphamoe.market.boards import board_key
from alphamoe.market.fees import CommissionSchedule
from alphamoe.market.reference import ReferenceData
from alphamoe.portfolio import AccountState
from alphamoe.risk.approval import Binding, approve, canonical_order
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.gate import Booking, Gate
from alphamoe.risk.reservations import (
    ACTIVE,
    CANCELS,
    Ledger,
    MemoryReservations,
    ReservationBook,
    claims_for,
)
from alphamoe.risk.rules import RULES, RULES_BY_SIDE, ZERO, RiskContext, notional
from alphamoe.risk.state import TradingState, TradingStatus, stricter
from alphamoe.risk.switch import TradingSwitch
from alphamoe.security.keys import require_key
from alphamoe.sizing.allocate import order_id
from alphamoe.types import Side

Decision = OrderApproved | OrderRejected
_SELL = Side.SELL  # read once: an enum member lookup costs per order
CHECKS = tuple(code for code, _ in RULES)


def scope_of(account_id: str, day: date, replay: str | None = None) -> str:
    """Return the ledger scope of one account's trading day: the same for every session and simulation run.

    One ledger per account and day is what makes the day's limits hold: a new run id (a forced rerun, a
    second trigger, a forged run) books against everything the day already approved. A replay (`alphamoe
    replay`: a recorded run re-published under a new run id, to re-make its decisions) books in its own
    scope, named by its run id: its orders carry the recorded day's ids, so in the day's ledger each would
    be a duplicate and the replay could not re-make what it exists to check; and its approvals are simulated,
    so execute refuses them on a live broker and only a paper account fills them.
    """
    base = f"{account_id}:{day.isoformat()}"
    return base if replay is None else f"{base}:replay:{replay}"


def derived_id(order: OrderProposed) -> str:
    """Return the id risk gives an order: derived from its day, account, symbol and side, never the sender's."""
    return order_id(order.trading_day, order.account_id, order.symbol, order.side)


def rekeyed(order: OrderProposed) -> OrderProposed:
    """Return `order` under its derived id; a different sender's id is replaced, and its reasons say so.

    Re-keying (not rejecting) keeps a well-formed proposal decidable while making its id meaningless: two
    proposals with the same terms share one id, so the day's ledger approves at most one of them.
    """
    derived = derived_id(order)
    if order.order_id == derived:
        return order
    note = f"order id {order.order_id[:80]!r} re-keyed by risk to {derived!r}"
    return OrderProposed(**{**order.model_dump(), "order_id": derived, "reasons": (*order.reasons, note)})


class RiskEngine:
    """Approve (signed) or reject (with every violation) each order of a batch, deterministically.

    `reservations` and `switch` are shared between replicas (Redis) or kept in this process (memory);
    without them every call books on its own, as a backtest does. The approval secret must be a real key
    (`security.keys.require_key`: at least 32 bytes, not a placeholder).
    """

    def __init__(
        self,
        limits: RiskLimits,
        secret: bytes,
        commission: CommissionSchedule,
        *,
        reservations: ReservationBook | None = None,
        switch: TradingSwitch | None = None,
    ) -> None:
        self.limits = limits
        self._secret = require_key(secret, "ALPHAMOE_APPROVAL_SECRET")
        self.commission = commission
        self.reservations = reservations
        self.switch = switch

    def evaluate_batch(
        self,
        day: date,
        orders: Sequence[OrderProposed],
        account: AccountState,
        reference: Mapping[str, ReferenceData],
        state: TradingState,
        *,
        approved_today: Collection[str] = (),
        facts: MarketFacts | None = None,
        replay: str | None = None,
        now: datetime | None = None,
        state_reason: str = "",
        on_decision: Callable[[Decision], None] | None = None,
        binding: Binding | None = None,
        refusal: RuleViolation | None = None,
    ) -> list[Decision]:
        """Return one decision per order: sells first, then buys, each by its derived order id.

        Every order is first re-keyed to its derived id (`rekeyed`). Sells go first so their T+1 claims are
        booked before buys; approved buys commit cash and approved sells commit shares for the rest of the
        day. `approved_today` holds ids approved by earlier batches when no shared reservation book keeps
        them; `replay` names a replay run, which books in its own ledger (`scope_of`). The trading state is
        the stricter of `state` and the switch, read again before every order, so a halt stops the next
        order. All orders of one call share the one-second window of `now` (the batch is sent at once).
        Approvals are signed for `binding` (default: a backtest's, `Binding.backtest`); a `refusal` (the run
        may not be decided at all: `risk.session.run_refusal`) rejects every order with it, booking nothing.
        """
        orders = [rekeyed(o) for o in orders]
        floor = TradingStatus(state, state_reason)
        if refusal is not None:
            refused: list[Decision] = []
            for order in in_fixed_order(orders):
                rejected = OrderRejected(
                    trading_day=day, order=order, violations=(refusal,), trading_state=floor.describe()
                )
                refused.append(rejected)
                if on_decision is not None:
                    on_decision(rejected)
            return refused
        binding = binding or Binding.backtest(day)
        facts = facts or MarketFacts()
        scope = scope_of(account.account_id, day, replay)
        book = self.reservations
        if book is None:  # one call books alone: the context is the whole ledger, nothing to reserve
            fresh = MemoryReservations()
            fresh.seed(scope, list(approved_today))
            book = fresh
        second = int(now.timestamp()) if now is not None else 0
        ctx = day_context(day, account, reference, self.limits, self.commission, facts, book.snapshot(scope), second)
        gate, secret, switch, alone = Gate(ctx), self._secret, self.switch, self.reservations is None
        ctx.state, ctx.state_reason = floor.state, floor.reason
        decisions: list[Decision] = []
        for order in in_fixed_order(orders):
            status = floor
            if switch is not None:
                status = stricter(floor, switch.status(account.account_id))
                ctx.state, ctx.state_reason = status.state, status.reason
            # the gate clears the common order in one pass (nothing to reserve when booking alone); any other
            # order goes through every rule, which names each failure, and the reservation book
            booking = gate.clear(order)
            if booking is not None and alone:
                decision: Decision = approve(order, binding, secret, CHECKS)
                commit(ctx, order, booking)
            else:
                decision = self._decide(day, order, ctx, booking, book, scope, second, status, binding)
            decisions.append(decision)
            if on_decision is not None:
                on_decision(decision)
        return decisions

    def _decide(
        self,
        day: date,
        order: OrderProposed,
        ctx: RiskContext,
        booking: Booking | None,
        book: ReservationBook,
        scope: str,
        second: int,
        status: TradingStatus,
        binding: Binding,
    ) -> Decision:
        # `booking` is the gate's: the order passes every rule; without it every rule runs and names each failure
        violations = (
            []
            if booking is not None
            else [v for _, rule in RULES_BY_SIDE[order.side] if (v := rule(order, ctx)) is not None]
        )
        if not violations:
            short = (
                () if self.reservations is None else book.reserve(scope, order.order_id, claims_for(order, ctx, second))
            )
            if not short:
                approved = approve(order, binding, self._secret, CHECKS)
                commit(ctx, order, booking)
                return approved
            violations = [RuleViolation(code=s.claim.code, message=s.message(order.order_id)) for s in short]
        rejected = OrderRejected(
            trading_day=day, order=order, violations=tuple(violations), trading_state=status.describe()
        )
        return rejected


def in_fixed_order(orders: Sequence[OrderProposed]) -> list[OrderProposed]:
    """Return the orders in the order risk decides them: sells first, then by order id.

    Orders sharing an id (a replayed or tampered duplicate) are ordered by their whole canonical payload, so
    which copy is approved never depends on arrival order.
    """
    ordered = sorted(orders, key=lambda o: (o.side != _SELL, o.order_id))
    if len({o.order_id for o in orders}) == len(orders):
        return ordered
    return sorted(ordered, key=lambda o: (o.side != _SELL, o.order_id, canonical_order(o)))


def day_context(
    day: date,
    account: AccountState,
    reference: Mapping[str, ReferenceData],
    limits: RiskLimits,
    commission: CommissionSchedule,
    facts: MarketFacts,
    ledger: Ledger,
    second: int,
) -> RiskContext:
    """Return the rules' context for one account's day: the ledger's bookings so far (this replica's and others'),
    as the mutable views `commit` keeps up to date; the trading state starts ACTIVE."""
    by: dict[str, dict[str, Decimal]] = {"symbol": {}, "board": {}, "industry": {}}
    sells: dict[str, int] = {}
    for name, amount in ledger.used.items():
        kind, _, key = name.partition(":")
        if kind in by:
            by[kind][key] = _cny(amount)
        elif kind == "sell":
            sells[key] = amount
    return RiskContext(
        day=day,
        account=account,
        reference=reference,
        limits=limits,
        state=TradingState.ACTIVE,
        commission=commission,
        buy_cost=_cny(ledger.used.get("cash", 0)),
        buy_notional=by["symbol"],
        pending_sells=sells,
        approved=set(ledger.ids),
        board_notional=by["board"],
        industry_notional=by["industry"],
        facts=facts,
        orders_this_second=ledger.used.get(f"second:{second}", 0),
        active_orders=ledger.used.get(ACTIVE, 0),
        cancels_today=ledger.used.get(CANCELS, 0),
    )


def _cny(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def commit(ctx: RiskContext, order: OrderProposed, booking: Booking | None = None) -> None:
    """Book an approved order against the rest of the day in `ctx` (this replica's view of the ledger).

    The gate's `booking`, when it cleared the order, holds the notional, cost, board and industry it already
    worked out; without it they are worked out here.
    """
    approved, sells = ctx.approved, ctx.pending_sells
    by_symbol, by_board, by_industry = ctx.buy_notional, ctx.board_notional, ctx.industry_notional
    assert isinstance(approved, set) and isinstance(sells, dict)  # all built by day_context
    assert isinstance(by_symbol, dict) and isinstance(by_board, dict) and isinstance(by_industry, dict)
    approved.add(order.order_id)
    if order.side == _SELL:
        sells[order.symbol] = sells.get(order.symbol, 0) + order.quantity
        cost = ZERO
    else:
        if booking is None:
            value = notional(order)
            booking = Booking(value, value + ctx.fees(order), board_key(order.symbol), ctx.facts.industry(order.symbol))
        value, cost, board, industry = booking
        by_symbol[order.symbol] = by_symbol.get(order.symbol, ZERO) + value
        by_board[board] = by_board.get(board, ZERO) + value
        if industry is not None:
            by_industry[industry] = by_industry.get(industry, ZERO) + value
    ctx.buy_cost += cost
    ctx.orders_this_second += 1
    ctx.active_orders += 1
