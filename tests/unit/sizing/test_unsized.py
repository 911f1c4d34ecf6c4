"""Every confirmed signal ends in an order or a stated reason; a buy below the minimum order value is not proposed.

Issue 15: confirmed signals vanished without a reason (Kelly <= 0, a lot above the position cap, cash), and
orders of 157 CNY paid the 5 CNY minimum commission (3.2 %).
"""

from __future__ import annotations

from decimal import Decimal

from support.sizing import COMMISSION, DAY, UNCAPPED, account, ref, routed, size

from alphamoe.events.payloads import SignalRouted, UnsizedReason, UnsizedSignal
from alphamoe.market.fees import trade_fees
from alphamoe.portfolio import AccountState
from alphamoe.sizing.allocate import allocate
from alphamoe.sizing.config import SizingConfig
from alphamoe.types import Side

NO_FLOOR = SizingConfig(min_order_value=Decimal(0))


def _why(
    signals: list[SignalRouted], state: AccountState | None = None, config: SizingConfig = NO_FLOOR
) -> dict[str, UnsizedSignal]:
    reference = {r.signal.symbol: ref(r.signal.symbol, str(r.signal.prev_close)) for r in signals}
    batch = allocate(DAY, signals, (), state or account(), reference, config, COMMISSION)
    return {u.symbol: u for u in batch.unsized}


def test_allocate_when_kelly_not_positive_then_reason_with_p_b_and_f_star() -> None:
    why = _why([routed("600000.SH", p=0.4, b=1.2)])["600000.SH"]
    assert why.code == UnsizedReason.KELLY_NOT_POSITIVE
    assert (why.p_win, why.payoff, why.kelly, why.kelly_fraction) == (0.4, 1.2, 0.0, 0.5)
    assert "0.4000 - 0.6000/1.2000 <= 0" in why.reason
    assert why.notes[0] == "kelly p=0.4000 b=1.2000 f*=0.0000"


def test_allocate_when_one_lot_costs_more_than_the_capped_target_then_lot_above_target_with_numbers() -> None:
    # 5 % of 1,000,000 = 50,000 CNY; one lot of 600519.SH at the 1,683.00 limit is 168,300 CNY
    why = _why([routed("600519.SH", prev_close="1650.00")])["600519.SH"]
    assert why.code == UnsizedReason.LOT_ABOVE_TARGET
    assert (why.limit_price, why.lot, why.target_weight) == (Decimal("1683.00"), 100, 0.05)
    assert "168300.00 CNY exceeds the target 50000.00 CNY" in why.reason
    assert any(n.startswith("capped at max_position_weight 0.05") for n in why.notes)


def test_allocate_when_cash_buys_no_lot_with_its_fees_then_cash_reason() -> None:
    config = UNCAPPED
    # target 795.00 CNY buys 100 × 7.93 = 793.00, but not with the 5 CNY minimum commission
    signal = routed("830001.BJ", p=1.0, b=1.0, confidence=1.0, prev_close="7.77")
    why = _why([signal], account("795"), config)["830001.BJ"]
    assert why.code == UnsizedReason.CASH
    assert "795" in why.reason and "100 × 7.93" in why.reason


def test_size_when_order_would_be_157_cny_then_not_proposed_and_the_floor_says_why() -> None:
    # f* = 0.502 - 0.498/1 = 0.004, half Kelly: 0.2 % of 100,000 CNY → 100 shares at the 1.57 limit = 157 CNY
    signal = routed("600000.SH", p=0.502, b=1.0, confidence=1.0, prev_close="1.54")
    (small,) = size([signal], state=account("100000"), config=NO_FLOOR)
    fees = trade_fees(small.symbol, Side.BUY, small.quantity, small.limit_price, DAY, COMMISSION)
    assert small.quantity * small.limit_price == Decimal("157.00") and fees >= Decimal("5")  # 3.2 % in fees
    assert size([signal], state=account("100000")) == []  # the default floor, 20,000 CNY
    why = _why([signal], account("100000"), SizingConfig())["600000.SH"]
    assert why.code == UnsizedReason.BELOW_MIN_ORDER_VALUE
    assert (why.quantity, why.limit_price, why.lot) == (100, Decimal("1.57"), 100)
    assert "157.00 CNY is below sizing.min_order_value 20000 CNY" in why.reason


def test_allocate_when_signals_left_out_by_rank_confidence_or_duplicates_then_each_named() -> None:
    signals = [
        routed("600000.SH", p=0.7),
        routed("600004.SH", p=0.6),
        routed("600006.SH", confidence=0.1),
        routed("600000.SH", p=0.55, signal_id="second"),
    ]
    reference = {s: ref(s) for s in ("600000.SH", "600004.SH", "600006.SH")}
    config = SizingConfig(max_position_weight=0.5, max_orders=1, min_confidence=0.2, min_order_value=Decimal(0))
    batch = allocate(DAY, signals, (), account(), reference, config, COMMISSION)
    assert [o.signal_id for o in batch.orders] == ["sig-600000.SH"]
    codes = {u.signal_id: u.code for u in batch.unsized}
    assert codes == {
        "second": UnsizedReason.OUTWEIGHED,
        "sig-600004.SH": UnsizedReason.MAX_ORDERS,
        "sig-600006.SH": UnsizedReason.BELOW_MIN_CONFIDENCE,
    }
    assert batch.confirmed == 4
