"""Property tests: over random portfolios, prices, boards, ST flags, days and batches, no approved order breaks
a rule, checked by an oracle written from the exchange rules rather than by the engine's own rule functions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from support.keys import APPROVAL_SECRET
from support.risk_scenarios import INDUSTRY, scenarios

from alphamoe.events.payloads import OrderApproved, OrderProposed, OrderRejected
from alphamoe.market.boards import board_of
from alphamoe.market.fees import CommissionSchedule, trade_fees
from alphamoe.market.lots import buy_quantity_error, sell_quantity_error
from alphamoe.market.reference import ReferenceData
from alphamoe.market.ticks import on_tick
from alphamoe.portfolio import AccountState
from alphamoe.risk.approval import verify
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.engine import Decision, RiskEngine
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.state import TradingState
from alphamoe.types import Side

SECRET = APPROVAL_SECRET
COMMISSION = CommissionSchedule()


def oracle_breaches(
    decisions: list[Decision],
    reference: dict[str, ReferenceData],
    account: AccountState,
    limits: RiskLimits,
    state: TradingState,
    facts: MarketFacts,
    day: date,
) -> list[str]:
    """Replay the approvals in decision order and list every rule any of them breaks."""
    out: list[str] = []
    held = {p.symbol: p for p in account.positions}
    equity = account.equity
    sold: dict[str, int] = {}
    bought: dict[str, Decimal] = {}
    boards: dict[str, Decimal] = {}
    industries: dict[str, Decimal] = {}
    for p in account.positions:
        boards[board_of(p.symbol).value] = boards.get(board_of(p.symbol).value, Decimal(0)) + p.quantity * p.last_price
        if p.symbol in INDUSTRY:
            industries[INDUSTRY[p.symbol]] = industries.get(INDUSTRY[p.symbol], Decimal(0)) + p.quantity * p.last_price
    cost, ids = Decimal(0), set()
    for d in decisions:
        if not isinstance(d, OrderApproved):
            assert isinstance(d, OrderRejected) and d.violations
            continue
        o, why = (
            d.order,
            f"{d.order.order_id} {d.order.side} {d.order.quantity} {d.order.symbol} @ {d.order.limit_price}",
        )
        verify(d, SECRET)
        ref = reference.get(o.symbol)
        position = held.get(o.symbol)
        quantity_held = (position.quantity if position else 0) - sold.get(o.symbol, 0)
        value = o.quantity * o.limit_price
        if o.order_id in ids:
            out.append(f"duplicate {why}")
        ids.add(o.order_id)
        if state == TradingState.HALTED or (
            state == TradingState.REDUCING and (o.side == Side.BUY or o.quantity > quantity_held)
        ):
            out.append(f"state {state}: {why}")
        if ref is None:
            out.append(f"suspended {why}")
            continue
        if not on_tick(o.limit_price) or not ref.band.down <= o.limit_price <= ref.band.up:
            out.append(f"price {why} band {ref.band}")
        if o.quantity > limits.max_order_quantity or value > limits.max_order_notional:
            out.append(f"order size {why}")
        if o.side == Side.SELL:
            if sell_quantity_error(o.symbol, o.quantity, quantity_held) is not None:
                out.append(f"lot {why}")
            sold[o.symbol] = sold.get(o.symbol, 0) + o.quantity
            if sold[o.symbol] > (position.sellable if position else 0):
                out.append(f"T+1 {why}")
            continue
        if buy_quantity_error(o.symbol, o.quantity) is not None:
            out.append(f"lot {why}")
        if ref.st or o.symbol in facts.delisting or o.symbol in facts.locked_limit_up:
            out.append(f"blocked buy {why}")
        cost += value + trade_fees(o.symbol, o.side, o.quantity, o.limit_price, day, COMMISSION)
        if cost > account.cash:
            out.append(f"cash {cost} > {account.cash} at {why}")
        bought[o.symbol] = bought.get(o.symbol, Decimal(0)) + value
        held_value = position.quantity * position.last_price if position else Decimal(0)
        if held_value + bought[o.symbol] > equity * Decimal(repr(limits.max_position_weight)):
            out.append(f"position weight {why}")
        board = board_of(o.symbol).value
        boards[board] = boards.get(board, Decimal(0)) + value
        if boards[board] > equity * Decimal(repr(limits.max_board_weight)):
            out.append(f"board weight {why}")
        if o.symbol in INDUSTRY:
            name = INDUSTRY[o.symbol]
            industries[name] = industries.get(name, Decimal(0)) + value
            if industries[name] > equity * Decimal(repr(limits.max_industry_weight)):
                out.append(f"industry weight {why}")
    approved = len(ids)
    if approved > min(limits.max_orders_per_day, limits.max_orders_per_second, limits.max_active_orders):
        out.append(f"{approved} approvals exceed the count caps")
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_evaluate_batch_when_random_day_then_no_approved_order_breaks_any_rule(
    scenario: tuple[
        date, dict[str, ReferenceData], AccountState, list[OrderProposed], RiskLimits, TradingState, MarketFacts
    ],
) -> None:
    day, reference, account, orders, limits, state, facts = scenario
    engine = RiskEngine(limits, SECRET, COMMISSION)
    decisions = engine.evaluate_batch(day, orders, account, reference, state, facts=facts)
    assert len(decisions) == len(orders)
    assert oracle_breaches(decisions, reference, account, limits, state, facts, day) == []
    again = engine.evaluate_batch(day, list(reversed(orders)), account, reference, state, facts=facts)
    assert again == decisions  # a batch decides the same in any arrival order
