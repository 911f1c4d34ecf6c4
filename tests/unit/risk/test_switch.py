from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from support.risk_factories import DAY, REFERENCE, SECRET, make_account, make_order

from alphamoe.events.payloads import OrderApproved, OrderRejected
from alphamoe.market.fees import CommissionSchedule
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.engine import Decision, RiskEngine
from alphamoe.risk.state import TradingState, TradingStatus, stricter
from alphamoe.risk.switch import MemorySwitch
from alphamoe.risk.triggers import EquityMark, breach
from alphamoe.types import Side

AT = datetime(2024, 3, 5, 1, 20, tzinfo=UTC)
LIMITS = RiskLimits(daily_loss_limit=0.05, max_drawdown=0.2)


def test_breach_when_equity_falls_past_daily_loss_then_reducing_with_numbers() -> None:
    mark = EquityMark(last=Decimal("1000000"), peak=Decimal("1000000"), day="2024-03-04")
    assert breach(Decimal("951000"), mark, LIMITS) is None
    state, why = breach(Decimal("950000"), mark, LIMITS) or (None, "")
    assert state == TradingState.REDUCING
    assert "daily loss 0.0500" in why and "1000000" in why and "950000" in why


def test_breach_when_drawdown_from_peak_reached_then_halted_even_without_daily_loss() -> None:
    mark = EquityMark(last=Decimal("810000"), peak=Decimal("1000000"), day="2024-03-04")
    state, why = breach(Decimal("800000"), mark, LIMITS) or (None, "")
    assert state == TradingState.HALTED
    assert "drawdown 0.2000" in why and "max_drawdown 0.2" in why


def test_observe_equity_when_limits_trip_then_state_only_tightens_and_resume_resets_peak() -> None:
    switch = MemorySwitch()
    days = [date(2024, 3, d) for d in (4, 5, 6, 7, 8)]
    assert switch.observe_equity("acc", days[0], Decimal("1000000"), LIMITS, at=AT).state == TradingState.ACTIVE
    status = switch.observe_equity("acc", days[1], Decimal("940000"), LIMITS, at=AT)  # -6% in a session
    assert status.state == TradingState.REDUCING and "daily loss" in status.reason
    # the next day recovers a little: the state stays REDUCING until a person resumes
    assert switch.observe_equity("acc", days[2], Decimal("945000"), LIMITS, at=AT).state == TradingState.REDUCING
    switch.set("acc", TradingState.ACTIVE, "reviewed", at=AT)
    # 790,000 is -21% from the old peak, but the resume made 945,000 the new peak: -16%, still ACTIVE
    assert switch.observe_equity("acc", days[3], Decimal("900000"), LIMITS, at=AT).state == TradingState.ACTIVE
    status = switch.observe_equity("acc", days[4], Decimal("756000"), LIMITS, at=AT)  # -20% from 945,000
    assert status.state == TradingState.HALTED and "drawdown" in status.reason


def test_observe_equity_when_same_day_seen_twice_then_checked_once() -> None:
    switch = MemorySwitch()
    switch.observe_equity("acc", date(2024, 3, 4), Decimal("1000000"), LIMITS, at=AT)
    switch.observe_equity("acc", date(2024, 3, 5), Decimal("1000000"), LIMITS, at=AT)
    # a rerun of the 5th with another valuation is not a new session: no daily loss is computed
    assert switch.observe_equity("acc", date(2024, 3, 5), Decimal("900000"), LIMITS, at=AT).state == "ACTIVE"


def test_stricter_when_floor_and_switch_differ_then_most_restrictive_wins() -> None:
    floor = TradingStatus(TradingState.REDUCING, "ALPHAMOE_TRADING_STATE")
    assert stricter(floor, TradingStatus()) is floor
    halted = TradingStatus(TradingState.HALTED, "operator")
    assert stricter(floor, halted) is halted
    assert halted.describe() == "HALTED (operator)"
    assert (
        TradingStatus(TradingState.HALTED, "x", "2024-03-05T01:20:00+00:00")
        .describe()
        .endswith("since 2024-03-05T01:20:00+00:00)")
    )


def test_evaluate_batch_when_switch_halted_mid_batch_then_next_order_rejected_with_state_and_reason() -> None:
    switch = MemorySwitch()
    engine = RiskEngine(RiskLimits(), SECRET, CommissionSchedule(), switch=switch)
    orders = [make_order(s, quantity=100) for s in ("600000.SH", "600004.SH", "600009.SH")]

    def halt_after_first(decision: Decision) -> None:
        if decision.order.symbol == "600000.SH":
            switch.set("acc", TradingState.HALTED, "operator: exchange incident", at=AT)

    decisions = engine.evaluate_batch(
        DAY, orders, make_account(), REFERENCE, TradingState.ACTIVE, on_decision=halt_after_first
    )
    assert isinstance(decisions[0], OrderApproved)
    for rejected in decisions[1:]:
        assert isinstance(rejected, OrderRejected)
        assert [v.code for v in rejected.violations] == ["KILL_SWITCH"]
        assert rejected.trading_state.startswith("HALTED (operator: exchange incident")
        assert "operator: exchange incident" in rejected.violations[0].message


@pytest.mark.parametrize(("state", "approved"), [(TradingState.REDUCING, {"sell"}), (TradingState.HALTED, set())])
def test_evaluate_batch_when_switch_not_active_then_only_reducing_sells_or_nothing(
    state: TradingState, approved: set[str]
) -> None:
    switch = MemorySwitch(TradingStatus(state, "drawdown 0.21"))
    engine = RiskEngine(RiskLimits(), SECRET, CommissionSchedule(), switch=switch)
    orders = [
        make_order(quantity=100, order_id="buy"),
        make_order("600004.SH", Side.SELL, 600, "10.00", order_id="sell"),
    ]
    decisions = engine.evaluate_batch(DAY, orders, make_account(), REFERENCE, TradingState.ACTIVE)
    assert {d.order.side.value.lower() for d in decisions if isinstance(d, OrderApproved)} == approved
    for d in decisions:
        if isinstance(d, OrderRejected):
            assert d.trading_state == f"{state.value} (drawdown 0.21)"
