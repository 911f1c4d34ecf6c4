"""The engine's fast gate never clears an order a rule rejects, and clears the common valid order."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from support.risk_factories import DAY, REFERENCE, make_account, make_order
from support.risk_scenarios import scenarios

from alphamoe.events.payloads import OrderProposed
from alphamoe.market.fees import CommissionSchedule
from alphamoe.market.reference import ReferenceData
from alphamoe.portfolio import AccountState
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.engine import commit, day_context, in_fixed_order
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.gate import Gate
from alphamoe.risk.reservations import MemoryReservations
from alphamoe.risk.rules import RULES, RiskContext
from alphamoe.risk.state import TradingState
from alphamoe.types import Side


def context(
    day: date,
    account: AccountState,
    limits: RiskLimits,
    facts: MarketFacts,
    reference: Mapping[str, ReferenceData] = REFERENCE,
) -> RiskContext:
    return day_context(
        day, account, reference, limits, CommissionSchedule(), facts, MemoryReservations().snapshot("s"), 0
    )


def failures(order: OrderProposed, ctx: RiskContext) -> list[str]:
    return [code for code, rule in RULES if rule(order, ctx) is not None]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_gate_when_random_batch_then_clears_only_what_every_rule_passes(scenario: tuple) -> None:  # type: ignore[type-arg]
    day, reference, account, orders, limits, state, facts = scenario
    ctx = day_context(
        day, account, reference, limits, CommissionSchedule(), facts, MemoryReservations().snapshot("s"), 0
    )
    ctx.state = state
    gate = Gate(ctx)
    for order in in_fixed_order(orders):
        booking = gate.clear(order)
        failed = failures(order, ctx)
        if booking is not None:
            assert failed == [], f"gate cleared {order.order_id} that fails {failed}"
            value = order.quantity * order.limit_price
            assert booking.value == value
            if order.side == Side.BUY:
                assert booking.cost == value + ctx.fees(order)
        if not failed:
            commit(ctx, order, booking)  # the day moves on exactly as in the engine


def test_gate_when_valid_buy_and_sell_then_cleared_and_each_broken_one_not() -> None:
    ctx = context(DAY, make_account(), RiskLimits(), MarketFacts(industries={"600000.SH": "银行"}))
    gate = Gate(ctx)
    assert gate.clear(make_order()) is not None  # 1,000 × 10.20 of a main-board stock
    assert gate.clear(make_order("600004.SH", Side.SELL, 600)) is not None  # the T+1 sellable part
    broken = [
        make_order(quantity=150),  # odd lot
        make_order(limit="11.01"),  # above the +10% band
        make_order("600006.SH", limit="10.00"),  # ST buy
        make_order("688001.SH", quantity=150, limit="30.00"),  # STAR 150 < 200
        make_order("600004.SH", Side.SELL, 700),  # beyond the 600 sellable
        make_order("600000.SH", quantity=90_000),  # 918,000 CNY: over cash and the 10% weight
        make_order(trading_day=date(2024, 3, 6)),
        make_order(account_id="other"),
        make_order("600001.SH"),  # no reference: suspended
    ]
    for order in broken:
        assert failures(order, ctx), order
        assert gate.clear(order) is None, order


def test_gate_when_not_active_then_every_order_goes_to_the_rules() -> None:
    ctx = context(DAY, make_account(), RiskLimits(), MarketFacts())
    ctx.state = TradingState.REDUCING
    assert failures(make_order(), ctx) == ["KILL_SWITCH"]
    assert Gate(ctx).clear(make_order()) is None
    assert Gate(ctx).clear(make_order("600004.SH", Side.SELL, 600)) is None  # passes the rules, but not the gate


def test_gate_when_cash_covers_notional_but_not_fees_then_not_cleared() -> None:
    # 1,000 × 10.20 = 10,200 CNY plus the 5 CNY minimum commission and the 0.001% transfer fee
    loose = RiskLimits(max_position_weight=1.0, max_board_weight=1.0)
    ctx = context(DAY, make_account("10200.00"), loose, MarketFacts())
    assert failures(make_order(), ctx) == ["CASH"]
    assert Gate(ctx).clear(make_order()) is None
    roomy = context(DAY, make_account("10205.10"), loose, MarketFacts())
    assert failures(make_order(), roomy) == []
    booking = Gate(roomy).clear(make_order())
    assert booking is not None and booking.cost == Decimal("10205.10")  # 5.00 minimum + 0.10 SSE transfer fee
