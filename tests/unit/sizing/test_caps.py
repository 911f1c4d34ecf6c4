"""The portfolio step's caps per board and industry, the trims, and the facts sizing shares with risk."""

from decimal import Decimal

import pytest
from support.sizing import DAY, account, holding, ref, routed, size

from alphamoe.market.fees import CommissionSchedule
from alphamoe.market.lots import sell_quantity_error
from alphamoe.risk.facts import MarketFacts
from alphamoe.sizing.allocate import size_batch
from alphamoe.sizing.config import SizingConfig
from alphamoe.types import Side

RAW = 0.5 * 0.8 * (0.6 - 0.4 / 1.5)  # half Kelly × confidence of the default signal: 0.1333
WIDE = SizingConfig(max_position_weight=0.2, max_total_weight=1.0, cash_reserve=0.0, max_board_weight=1.0)


def test_size_batch_when_one_board_over_cap_then_its_buys_scaled_and_other_boards_untouched() -> None:
    signals = [routed(s) for s in ("688001.SH", "688002.SH", "688003.SH", "600000.SH")]
    config = WIDE.model_copy(update={"max_board_weight": 0.3})
    reference = {r.signal.symbol: ref(r.signal.symbol, "10.00") for r in signals}
    orders = {o.symbol: o for o in size(signals, config=config, reference=reference)}
    star = [orders[s].target_weight for s in ("688001.SH", "688002.SH", "688003.SH")]
    assert sum(star) == pytest.approx(0.3)  # 3 × 0.1333 scaled by 0.75
    assert orders["600000.SH"].target_weight == pytest.approx(RAW)
    assert "board star capped" in " ".join(orders["688001.SH"].reasons)


def test_size_batch_when_industry_over_cap_counting_holdings_then_scaled_to_room() -> None:
    facts = MarketFacts(industries={"600000.SH": "银行", "601398.SH": "银行", "601988.SH": "银行", "600519.SH": "酒"})
    state = account("900000", holding("601988.SH", 25_000, price="4.00"))  # banks already 10% of 1,000,000
    signals = [routed("600000.SH"), routed("601398.SH"), routed("600519.SH")]
    config = WIDE.model_copy(update={"max_industry_weight": 0.25})
    reference = {r.signal.symbol: ref(r.signal.symbol) for r in signals}
    orders = {
        o.symbol: o for o in size_batch(DAY, signals, (), state, reference, config, CommissionSchedule(), facts=facts)
    }
    assert orders["600000.SH"].target_weight + orders["601398.SH"].target_weight == pytest.approx(0.15)
    assert orders["600519.SH"].target_weight == pytest.approx(RAW)


def test_size_batch_when_facts_block_stock_then_no_buy_for_delisting_or_locked_limit_up() -> None:
    facts = MarketFacts(delisting=frozenset({"600087.SH"}), locked_limit_up=frozenset({"603259.SH"}))
    signals = [routed("600087.SH"), routed("603259.SH"), routed("600000.SH")]
    reference = {r.signal.symbol: ref(r.signal.symbol) for r in signals}
    orders = size_batch(DAY, signals, (), account(), reference, SizingConfig(), CommissionSchedule(), facts=facts)
    assert [o.symbol for o in orders] == ["600000.SH"]


def test_size_batch_when_holding_grew_past_cap_and_band_then_trimmed_back_in_valid_lots() -> None:
    # 600000.SH is 12,000 × 10 = 120,000 of 1,000,000: 12% > 5% cap + 2% band → sell down to 5%
    state = account("880000", holding("600000.SH", 12_000, sellable=12_000))
    reference = {"600000.SH": ref("600000.SH")}
    (order,) = size_batch(DAY, [], (), state, reference, SizingConfig(), CommissionSchedule())
    assert order.side == Side.SELL
    assert order.quantity == 7000  # 70,000 CNY excess at 10.00, in lots of 100
    assert "trim: weight 0.1200" in order.reasons[0]


def test_size_batch_when_holding_within_band_then_no_trim() -> None:
    state = account("935000", holding("600000.SH", 6500))  # 6.5%: above the cap, inside the band
    assert size_batch(DAY, [], (), state, {"600000.SH": ref("600000.SH")}, SizingConfig(), CommissionSchedule()) == []


def test_size_batch_when_trim_exceeds_sellable_then_limited_by_t_plus_one() -> None:
    state = account("880000", holding("688001.SH", 4000, sellable=250, price="30.00"))  # STAR: 12%
    (order,) = size_batch(
        DAY, [], (), state, {"688001.SH": ref("688001.SH", "30.00")}, SizingConfig(), CommissionSchedule()
    )
    assert order.quantity == 250
    assert sell_quantity_error("688001.SH", order.quantity, 4000) is None


def test_size_batch_when_exit_and_trim_both_apply_then_exit_sells_everything_sellable() -> None:
    state = account("880000", holding("600000.SH", 12_000, sellable=12_000))
    (order,) = size_batch(
        DAY, [], ("600000.SH",), state, {"600000.SH": ref("600000.SH")}, SizingConfig(), CommissionSchedule()
    )
    assert order.quantity == 12_000
    assert order.reasons[0].startswith("strategy exit")


def test_size_batch_when_buy_sized_then_lot_valid_and_cost_with_fees_within_cash() -> None:
    signals = [routed("830001.BJ", prev_close="7.77"), routed("688001.SH", prev_close="33.33")]
    reference = {r.signal.symbol: ref(r.signal.symbol, str(r.signal.prev_close)) for r in signals}
    state = account("30000")
    small = WIDE.model_copy(update={"min_order_value": Decimal(0)})  # 6,000 CNY orders: the floor off
    orders = size(signals, state=state, config=small, reference=reference)
    spent = sum(o.quantity * o.limit_price for o in orders)
    assert orders and spent <= Decimal("30000")
