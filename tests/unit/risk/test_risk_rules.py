from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from support.risk_factories import DAY, REFERENCE, make_account, make_order

from alphamoe.events.payloads import OrderProposed
from alphamoe.market.fees import CommissionSchedule
from alphamoe.risk import rules
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.rules import RULES, RiskContext, Rule
from alphamoe.risk.state import TradingState
from alphamoe.types import Side

TEN_PERCENT = RiskLimits(max_position_weight=0.1)


def ctx(**changes: Any) -> RiskContext:
    base = RiskContext(
        day=DAY,
        account=make_account(),
        reference=REFERENCE,
        limits=RiskLimits(),
        state=TradingState.ACTIVE,
        commission=CommissionSchedule(),
    )
    return replace(base, **changes)


def off_tick_order() -> OrderProposed:
    # the Price type already refuses a third decimal: build the tampered order without validation
    return make_order().model_copy(update={"limit_price": Decimal("10.205")})


SELL = Side.SELL
CASES: list[tuple[str, Rule, OrderProposed, RiskContext, OrderProposed, RiskContext, str]] = [
    # (id, rule, failing order, its ctx, passing order, its ctx, a number the message must give)
    (
        "day",
        rules.check_trading_day,
        make_order(trading_day=date(2024, 3, 4)),
        ctx(),
        make_order(),
        ctx(),
        "2024-03-04",
    ),
    ("account", rules.check_account, make_order(account_id="other"), ctx(), make_order(), ctx(), "'other'"),
    ("suspended", rules.check_symbol_trading, make_order("600008.SH"), ctx(), make_order(), ctx(), "600008.SH"),
    ("lot main", rules.check_lot_size, make_order(quantity=150), ctx(), make_order(quantity=200), ctx(), "150"),
    (
        "lot star",
        rules.check_lot_size,
        make_order("688001.SH", quantity=199, limit="30.00"),
        ctx(),
        make_order("688001.SH", quantity=201, limit="30.00"),
        ctx(),
        "200",
    ),
    (
        "lot sell",
        rules.check_lot_size,
        make_order("600004.SH", SELL, 550, "10.00"),
        ctx(),
        make_order("600004.SH", SELL, 500, "10.00"),
        ctx(),
        "550",
    ),
    (
        "lot not a stock",
        rules.check_lot_size,
        make_order("510300.SH"),
        ctx(),
        make_order(),
        ctx(),
        "510300.SH",
    ),
    ("tick", rules.check_price_tick, off_tick_order(), ctx(), make_order(), ctx(), "10.205"),
    ("band up", rules.check_price_band, make_order(limit="11.01"), ctx(), make_order(limit="11.00"), ctx(), "11.00"),
    ("band down", rules.check_price_band, make_order(limit="8.99"), ctx(), make_order(limit="9.00"), ctx(), "9.00"),
    (
        "st buy",
        rules.check_st_buy,
        make_order("600006.SH", limit="10.00"),
        ctx(),
        make_order("600006.SH", limit="10.00"),
        ctx(limits=RiskLimits(allow_st_buys=True)),
        "600006.SH",
    ),
    (
        "max quantity",
        rules.check_max_order_quantity,
        make_order(quantity=1100),
        ctx(limits=RiskLimits(max_order_quantity=1000)),
        make_order(quantity=1000),
        ctx(limits=RiskLimits(max_order_quantity=1000)),
        "1000",
    ),
    (
        "max notional",
        rules.check_max_order_notional,
        make_order(quantity=5000),
        ctx(limits=RiskLimits(max_order_notional=Decimal("50000"))),
        make_order(quantity=4900),
        ctx(limits=RiskLimits(max_order_notional=Decimal("50000"))),
        "51000",
    ),
    (
        "t+1",
        rules.check_t_plus_one,
        make_order("600004.SH", SELL, 700, "10.00"),
        ctx(),
        make_order("600004.SH", SELL, 600, "10.00"),
        ctx(),
        "600",
    ),
    (
        "t+1 pending",
        rules.check_t_plus_one,
        make_order("600004.SH", SELL, 500, "10.00"),
        ctx(pending_sells={"600004.SH": 200}),
        make_order("600004.SH", SELL, 400, "10.00"),
        ctx(pending_sells={"600004.SH": 200}),
        "200",
    ),
    (
        "cash",
        rules.check_cash,
        make_order(),
        ctx(account=make_account("10200")),  # 10,200 notional + 5 CNY commission + 0.10 transfer fee
        make_order(),
        ctx(account=make_account("10205.10")),
        "10205.10",
    ),
    (
        "cash committed",
        rules.check_cash,
        make_order(),
        ctx(account=make_account("20000"), buy_cost=Decimal("9800")),
        make_order(),
        ctx(account=make_account("20000"), buy_cost=Decimal("9794.90")),
        "9800",
    ),
    (
        "position weight",
        rules.check_max_position_weight,
        make_order("600004.SH", quantity=9200, limit="10.00"),  # 10,000 held + 92,000 > 10% of 1,010,000
        ctx(limits=TEN_PERCENT),
        make_order("600004.SH", quantity=9100, limit="10.00"),
        ctx(limits=TEN_PERCENT),
        "0.1",
    ),
    (
        "position weight pending",
        rules.check_max_position_weight,
        make_order("600004.SH", quantity=100, limit="10.00"),
        ctx(limits=TEN_PERCENT, buy_notional={"600004.SH": Decimal("91000")}),
        make_order("600004.SH", quantity=100, limit="10.00"),
        ctx(limits=TEN_PERCENT, buy_notional={"600004.SH": Decimal("90000")}),
        "102000",
    ),
    (
        "duplicate",
        rules.check_duplicate_order,
        make_order(),
        ctx(approved=frozenset({"2024-03-05:acc:600000.SH:BUY"})),
        make_order(),
        ctx(approved=frozenset({"2024-03-05:acc:600000.SH:SELL"})),
        "2024-03-05:acc:600000.SH:BUY",
    ),
    (
        "daily cap",
        rules.check_daily_order_cap,
        make_order(),
        ctx(limits=RiskLimits(max_orders_per_day=2), approved=frozenset({"a", "b"})),
        make_order(),
        ctx(limits=RiskLimits(max_orders_per_day=2), approved=frozenset({"a"})),
        "2",
    ),
]


@pytest.mark.parametrize(
    ("rule", "failing", "failing_ctx", "passing", "passing_ctx", "number"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_rule_when_order_breaks_it_then_violation_with_numbers_else_none(
    rule: Rule,
    failing: OrderProposed,
    failing_ctx: RiskContext,
    passing: OrderProposed,
    passing_ctx: RiskContext,
    number: str,
) -> None:
    violation = rule(failing, failing_ctx)
    assert violation is not None
    codes = {fn: code for code, fn in RULES}
    assert violation.code == codes[rule]
    assert number in violation.message
    assert rule(passing, passing_ctx) is None


def test_rules_when_listed_then_every_code_unique_and_order_fixed() -> None:
    codes = [code for code, _ in RULES]
    assert len(codes) == len(set(codes))
    assert codes[:3] == ["TRADING_DAY", "ACCOUNT", "KILL_SWITCH"]


def test_check_st_buy_when_selling_st_stock_then_passes() -> None:
    assert rules.check_st_buy(make_order("600006.SH", SELL, 100, "10.00"), ctx()) is None


@pytest.mark.parametrize(
    ("state", "side", "quantity", "blocked"),
    [
        (TradingState.ACTIVE, Side.BUY, 100, False),
        (TradingState.ACTIVE, Side.SELL, 100, False),
        (TradingState.REDUCING, Side.BUY, 100, True),
        (TradingState.REDUCING, Side.SELL, 100, False),
        (TradingState.HALTED, Side.BUY, 100, True),
        (TradingState.REDUCING, Side.SELL, 1100, True),  # more than held: not exposure-reducing
        (TradingState.HALTED, Side.SELL, 100, True),  # HALTED: cancels only
    ],
)
def test_check_kill_switch_when_state_then_only_exposure_reducing_orders_pass(
    state: TradingState, side: Side, quantity: int, blocked: bool
) -> None:
    violation = rules.check_kill_switch(make_order("600004.SH", side, quantity, "10.00"), ctx(state=state))
    assert (violation is not None) is blocked
    if violation is not None:
        assert violation.code == "KILL_SWITCH"
        assert state.value in violation.message
