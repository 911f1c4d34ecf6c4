import random
from decimal import Decimal

import pytest
from support.risk_factories import DAY, REFERENCE, SECRET, make_account, make_order

from alphamoe.errors import ConfigurationError
from alphamoe.events.payloads import OrderApproved, OrderProposed, OrderRejected
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState
from alphamoe.risk.approval import verify
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.engine import Decision, RiskEngine
from alphamoe.risk.rules import RULES
from alphamoe.risk.state import TradingState
from alphamoe.types import Side

WHOLE = RiskLimits(max_position_weight=1.0, max_board_weight=1.0)  # a small account: let cash bind


def evaluate(
    orders: list[OrderProposed],
    account: AccountState | None = None,
    state: TradingState = TradingState.ACTIVE,
    limits: RiskLimits | None = None,
    approved_today: tuple[str, ...] = (),
) -> list[Decision]:
    engine = RiskEngine(limits or RiskLimits(), SECRET, CommissionSchedule())
    return engine.evaluate_batch(
        DAY, orders, account or make_account(), REFERENCE, state, approved_today=approved_today
    )


def codes(decision: Decision) -> list[str]:
    assert isinstance(decision, OrderRejected), f"{decision.order.order_id} was approved"
    return [v.code for v in decision.violations]


def test_evaluate_batch_when_orders_valid_then_approved_signed_and_verifiable() -> None:
    decisions = evaluate([make_order(), make_order("600004.SH", Side.SELL, 600, "10.00")])
    assert all(isinstance(d, OrderApproved) for d in decisions)
    for d in decisions:
        assert isinstance(d, OrderApproved)
        verify(d, SECRET)
        assert d.checks == tuple(code for code, _ in RULES)
        assert d.trading_day == DAY


def test_evaluate_batch_when_batch_mixed_then_sells_first_then_buys_by_derived_order_id() -> None:
    orders = [
        make_order("600009.SH", order_id="a-buy"),  # the sender's ids do not order (nor name) anything
        make_order("600004.SH", Side.SELL, 100, "10.00", order_id="z-sell"),
        make_order("600000.SH", quantity=100, order_id="b-buy"),
    ]
    decisions = evaluate(orders)
    assert [d.order.order_id for d in decisions] == [
        "2024-03-05:acc:600004.SH:SELL",
        "2024-03-05:acc:600000.SH:BUY",
        "2024-03-05:acc:600009.SH:BUY",
    ]


def test_evaluate_batch_when_same_stock_proposed_under_fresh_ids_then_one_approved_and_rest_duplicates() -> None:
    # the finding: proposals under fresh order ids each booked the day's per-stock cap again
    orders = [make_order("600000.SH", quantity=1000, limit="10.00", order_id=f"fresh-{i}") for i in range(5)]
    decisions = evaluate(orders, limits=RiskLimits(max_position_weight=0.015))  # 15,150 CNY: one buy of 10,000
    approved = [d for d in decisions if isinstance(d, OrderApproved)]
    assert len(approved) == 1
    assert {d.order.order_id for d in decisions} == {"2024-03-05:acc:600000.SH:BUY"}
    assert "re-keyed by risk to '2024-03-05:acc:600000.SH:BUY'" in approved[0].order.reasons[-1]
    verify(approved[0], SECRET)  # the signature covers the derived id
    refused = [codes(d) for d in decisions if isinstance(d, OrderRejected)]
    assert refused == [["DUPLICATE_ORDER", "MAX_POSITION_WEIGHT"]] * 4  # every failed rule is named


def test_evaluate_batch_when_input_shuffled_then_decisions_identical() -> None:
    orders = [
        make_order(f"60000{i}.SH", quantity=1000, order_id=f"buy-{i}")
        for i in (0, 4, 6)  # 600006.SH is ST: rejected
    ] + [make_order("600004.SH", Side.SELL, 400, "10.00", order_id=f"sell-{i}") for i in range(3)]
    account = make_account("25000")
    expected = evaluate(orders, account)
    rng = random.Random(3)
    for _ in range(10):
        shuffled = orders[:]
        rng.shuffle(shuffled)
        assert evaluate(shuffled, account) == expected


def test_evaluate_batch_when_order_breaks_many_rules_then_all_violations_reported() -> None:
    order = make_order("600006.SH", quantity=150, limit="11.00")  # ST, odd lot, above its 10.50 limit-up
    (decision,) = evaluate([order], state=TradingState.REDUCING)
    assert codes(decision) == ["KILL_SWITCH", "LOT_SIZE", "PRICE_BAND", "ST_BUY"]
    assert isinstance(decision, OrderRejected)
    assert decision.trading_state == "REDUCING"


def test_evaluate_batch_when_buys_add_up_past_cash_then_later_buy_rejected_for_cash() -> None:
    # each buy costs 10,200 + 5.00 commission + 0.10 transfer fee = 10,205.10
    orders = [make_order(s, order_id=f"buy-{i}") for i, s in enumerate(("600000.SH", "600004.SH", "600009.SH"))]
    decisions = evaluate(orders, make_account("30000"), limits=WHOLE)
    assert [type(d) for d in decisions] == [OrderApproved, OrderApproved, OrderRejected]
    assert codes(decisions[2]) == ["CASH", "MAX_BOARD_WEIGHT"]  # 40,600 CNY of main board > 40,000 equity too
    assert "20410.20" in decisions[2].violations[0].message  # type: ignore[union-attr]


def test_evaluate_batch_when_buy_rejected_then_its_cash_stays_free() -> None:
    orders = [
        make_order("600000.SH", limit="11.10"),  # above its 11.00 limit-up: rejected, commits nothing
        make_order("600004.SH"),
    ]
    decisions = evaluate(orders, make_account("10205.10"), limits=WHOLE)
    assert [type(d) for d in decisions] == [OrderRejected, OrderApproved]


def test_evaluate_batch_when_sells_of_one_stock_under_two_ids_then_one_id_and_second_duplicate() -> None:
    orders = [make_order("600004.SH", Side.SELL, 400, "10.00", order_id=f"sell-{c}") for c in "ab"]
    decisions = evaluate(orders)  # 600 sellable of 1,000 held: two sells of 400 would overdraw them
    assert isinstance(decisions[0], OrderApproved)
    assert codes(decisions[1]) == ["DUPLICATE_ORDER", "T_PLUS_ONE"]
    (over,) = evaluate([make_order("600004.SH", Side.SELL, 700, "10.00")])
    assert codes(over) == ["T_PLUS_ONE"]


def test_evaluate_batch_when_same_order_twice_then_second_duplicate() -> None:
    decisions = evaluate([make_order(quantity=100), make_order(quantity=100)])
    assert isinstance(decisions[0], OrderApproved)
    assert codes(decisions[1]) == ["DUPLICATE_ORDER"]


def test_evaluate_batch_when_approved_earlier_today_then_duplicate_and_counted_in_cap() -> None:
    limits = RiskLimits(max_orders_per_day=2)
    earlier = ("2024-03-05:acc:600000.SH:BUY", "x")
    decisions = evaluate([make_order(), make_order("600004.SH", quantity=100)], limits=limits, approved_today=earlier)
    assert codes(decisions[0]) == ["DUPLICATE_ORDER", "DAILY_ORDER_CAP"]
    assert codes(decisions[1]) == ["DAILY_ORDER_CAP"]


def test_evaluate_batch_when_daily_cap_reached_in_batch_then_rest_rejected() -> None:
    orders = [make_order(s, quantity=100) for s in ("600000.SH", "600004.SH", "688001.SH")]
    decisions = evaluate(orders, limits=RiskLimits(max_orders_per_day=2))
    assert [type(d) for d in decisions] == [OrderApproved, OrderApproved, OrderRejected]


def test_evaluate_batch_when_reducing_then_buys_rejected_and_sells_pass() -> None:
    decisions = evaluate([make_order(), make_order("600004.SH", Side.SELL, 600, "10.00")], state=TradingState.REDUCING)
    sell, buy = decisions
    assert isinstance(sell, OrderApproved)
    assert codes(buy) == ["KILL_SWITCH"]
    assert isinstance(buy, OrderRejected)
    assert buy.trading_state == "REDUCING"


def test_evaluate_batch_when_halted_then_every_new_order_rejected_with_reason() -> None:
    engine = RiskEngine(RiskLimits(), SECRET, CommissionSchedule())
    orders = [make_order(), make_order("600004.SH", Side.SELL, 600, "10.00")]
    decisions = engine.evaluate_batch(
        DAY, orders, make_account(), REFERENCE, TradingState.HALTED, state_reason="operator: broker outage"
    )
    for decision in decisions:
        assert codes(decision) == ["KILL_SWITCH"]
        assert isinstance(decision, OrderRejected)
        assert decision.trading_state == "HALTED (operator: broker outage)"
        assert "operator: broker outage" in decision.violations[0].message


def test_evaluate_batch_when_symbol_suspended_then_rejected_not_trading() -> None:
    (decision,) = evaluate([make_order("600008.SH")])
    assert codes(decision) == ["SYMBOL_NOT_TRADING"]


def test_evaluate_batch_when_position_weight_counts_the_holding_then_buy_over_cap_rejected() -> None:
    limits = RiskLimits(max_position_weight=0.015)  # 15,150 CNY of 1,010,000 equity; 10,000 of 600004 held
    fresh, held = evaluate(
        [make_order(s, quantity=1000, limit="10.00") for s in ("600004.SH", "600000.SH")], limits=limits
    )
    assert isinstance(fresh, OrderApproved)
    assert codes(held) == ["MAX_POSITION_WEIGHT"]


@pytest.mark.parametrize(
    "secret",
    [b"", b"s", b"secret", b"replace-with-a-random-key-of-32-bytes-or-more"],
    ids=["empty", "1 byte", "short", "placeholder"],
)
def test_risk_engine_when_secret_missing_short_or_placeholder_then_configuration_error(secret: bytes) -> None:
    with pytest.raises(ConfigurationError, match="ALPHAMOE_APPROVAL_SECRET"):
        RiskEngine(RiskLimits(), secret, CommissionSchedule())


def test_evaluate_batch_when_order_notional_over_cap_then_rejected() -> None:
    limits = RiskLimits(max_order_notional=Decimal("5000"))
    (decision,) = evaluate([make_order(quantity=500)], limits=limits)
    assert codes(decision) == ["MAX_ORDER_NOTIONAL"]
