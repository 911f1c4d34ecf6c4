import random
from collections.abc import Iterator, Mapping
from decimal import Decimal

import pytest
from support.sizing import COMMISSION, DAY, UNCAPPED, account, holding, ref, routed, size

from alphamoe.events.payloads import OrderProposed
from alphamoe.market.fees import trade_fees
from alphamoe.market.lots import buy_quantity_error
from alphamoe.market.reference import ReferenceData
from alphamoe.sizing.allocate import size_batch
from alphamoe.sizing.config import SizingConfig
from alphamoe.types import Side, Verdict


def buys(orders: list[OrderProposed]) -> list[OrderProposed]:
    return [o for o in orders if o.side == Side.BUY]


MIXED = [
    routed("600000.SH", p=0.55, b=1.4),
    routed("600519.SH", p=0.62, b=1.1, prev_close="1650.00"),
    routed("000001.SZ", p=0.58, b=1.3, prev_close="9.87"),
    routed("300750.SZ", p=0.51, b=2.0, prev_close="180.20"),
    routed("688001.SH", p=0.57, b=1.6, prev_close="33.33"),
    routed("688981.SH", p=0.57, b=1.6, prev_close="45.10"),
    routed("830001.BJ", p=0.60, b=1.2, prev_close="7.77"),
    routed("002594.SZ", p=0.52, b=1.05, prev_close="220.00"),
    routed("601318.SH", p=0.66, b=1.3, confidence=0.4, prev_close="41.00"),
    routed("000002.SZ", p=0.7, b=1.5, verdict=Verdict.VETO),
]


def test_size_batch_when_signals_shuffled_then_orders_identical() -> None:
    config = SizingConfig(max_position_weight=0.2, max_total_weight=0.6, max_orders=6)
    expected = size(MIXED, config=config)
    assert len(expected) == 5  # 600519.SH: 100 shares at 1683 CNY exceed its 8.6% target
    rng = random.Random(7)
    for _ in range(20):
        shuffled = MIXED[:]
        rng.shuffle(shuffled)
        assert size(shuffled, config=config) == expected


def test_size_batch_when_verdict_not_confirm_or_low_confidence_then_no_buy() -> None:
    signals = [
        routed("600000.SH", verdict=Verdict.VETO),
        routed("600004.SH", verdict=Verdict.ABSTAIN),
        routed("600006.SH", confidence=0.3),
        routed("600007.SH", confidence=0.7),
    ]
    orders = size(signals, config=SizingConfig(min_confidence=0.5))
    assert [o.symbol for o in orders] == ["600007.SH"]


def test_size_batch_when_kelly_above_cap_then_weight_capped_and_reasons_give_numbers() -> None:
    (order,) = size([routed("600000.SH", p=0.6, b=1.5, confidence=0.8)])
    assert order.target_weight == pytest.approx(0.05)
    assert order.kelly_fraction == pytest.approx(0.6 - 0.4 / 1.5)
    assert order.quantity == 4900  # 50,000 CNY at limit 10.20, in 100s
    assert order.limit_price == Decimal("10.20")
    assert order.order_id == "2024-03-05:acc:600000.SH:BUY"
    assert order.signal_id == "sig-600000.SH"
    text = " ".join(order.reasons)
    assert "p=0.6000" in text
    assert "b=1.5000" in text
    assert "f*=0.3333" in text
    assert "capped at max_position_weight 0.05" in text


def test_size_batch_when_stock_already_held_then_cap_less_held_weight() -> None:
    state = account("980000", holding("600000.SH", 2000))
    (order,) = size([routed("600000.SH")], state=state)
    assert order.target_weight == pytest.approx(0.03)


def test_size_batch_when_stock_held_at_cap_then_no_buy() -> None:
    state = account("950000", holding("600000.SH", 5000))
    assert size([routed("600000.SH")], state=state) == []


@pytest.mark.parametrize("held_value", [0, 100_000])
def test_size_batch_when_new_weights_exceed_total_cap_then_scaled_proportionally(held_value: int) -> None:
    positions = (holding("601988.SH", held_value // 10),) if held_value else ()
    state = account(str(1_000_000 - held_value), *positions)
    config = SizingConfig(max_position_weight=0.2, max_total_weight=0.5, max_board_weight=1.0)
    signals = [routed(f"60000{i}.SH", p=0.55 + i / 100) for i in range(8)]
    orders = size(signals, state=state, config=config)
    room = 0.5 - held_value / 1_000_000
    assert sum(o.target_weight for o in orders) == pytest.approx(room)
    raw = [o.kelly_fraction for o in orders]
    ratio = [o.target_weight / k for o, k in zip(orders, raw, strict=True)]
    assert max(ratio) == pytest.approx(min(ratio))  # the same scale on every order
    assert all("scaled ×" in " ".join(o.reasons) for o in orders)


def test_size_batch_when_exposure_at_total_cap_then_no_buy() -> None:
    state = account("100000", holding("601988.SH", 90_000))
    assert size([routed("600000.SH")], state=state) == []


def test_size_batch_when_more_signals_than_max_orders_then_best_weights_kept() -> None:
    signals = [routed(f"60000{i}.SH", p=0.5 + i / 100, b=1.0) for i in range(6)]
    config = SizingConfig(max_position_weight=1.0, max_total_weight=1.0, cash_reserve=0.0, max_orders=2)
    orders = size(signals, config=config)
    assert [o.symbol for o in orders] == ["600005.SH", "600004.SH"]


def test_size_batch_when_weights_tie_then_symbol_breaks_tie() -> None:
    signals = [routed(s) for s in ("600009.SH", "600003.SH", "600006.SH")]
    orders = size(signals, config=SizingConfig(max_orders=2))
    assert [o.symbol for o in orders] == ["600003.SH", "600006.SH"]


def test_size_batch_when_two_signals_on_one_stock_then_one_order_from_the_better() -> None:
    signals = [routed("600000.SH", p=0.52, b=1.0, signal_id="a"), routed("600000.SH", p=0.55, b=1.0, signal_id="b")]
    (order,) = size(signals, config=SizingConfig(max_position_weight=0.5))
    assert order.signal_id == "b"


@pytest.mark.parametrize(
    ("symbol", "prev_close", "quantity"),
    [
        ("600000.SH", "10.00", 4900),  # main: 100s
        ("300750.SZ", "180.20", 200),  # ChiNext: 100s (50,000 / 183.80 = 272)
        ("688001.SH", "33.33", 1470),  # STAR: >= 200, then steps of 1 (50,000 / 34.00)
        ("830001.BJ", "7.77", 6305),  # BSE: >= 100, then steps of 1 (50,000 / 7.93)
    ],
)
def test_size_batch_when_board_lots_differ_then_quantity_rounded_down_to_valid_lot(
    symbol: str, prev_close: str, quantity: int
) -> None:
    (order,) = size([routed(symbol, prev_close=prev_close)])
    assert order.quantity == quantity
    assert buy_quantity_error(symbol, order.quantity) is None


def test_size_batch_when_star_target_below_200_shares_then_no_order() -> None:
    signals = [routed("688001.SH", prev_close="33.33"), routed("600000.SH")]
    small = SizingConfig(min_order_value=Decimal(0))  # a 4,000 CNY order: the minimum order value off
    orders = size(signals, state=account("100000"), config=small)  # 5,000 CNY each: 147 STAR shares, 490 main
    assert [(o.symbol, o.quantity) for o in orders] == [("600000.SH", 400)]


def test_size_batch_when_cash_short_then_cash_after_reserve_and_fees_never_exceeded() -> None:
    state = account("70000", holding("601988.SH", 93_000))  # equity 1,000,000, cash after reserve 20,000
    config = SizingConfig(max_position_weight=0.2, max_total_weight=1.0, cash_reserve=0.05, min_order_value=Decimal(0))
    orders = size(MIXED, state=state, config=config)
    spent = sum(
        o.quantity * o.limit_price + trade_fees(o.symbol, o.side, o.quantity, o.limit_price, DAY, COMMISSION)
        for o in orders
    )
    assert orders
    assert spent <= Decimal("20000")


def test_size_batch_when_fees_tip_over_cash_then_quantity_reduced_to_fit() -> None:
    config = UNCAPPED
    (order,) = size([routed("830001.BJ", p=1.0, b=1.0, confidence=1.0)], state=account("2000"), config=config)
    # 196 × 10.20 = 1999.20 fits the target but not with the 5 CNY minimum commission
    assert order.quantity == 195
    assert order.quantity * order.limit_price + Decimal("5") <= Decimal("2000")


def test_size_batch_when_buffer_above_limit_up_then_limit_capped_at_limit_up() -> None:
    reference = {"600000.SH": ref("600000.SH", st=True)}  # ST main board, 5% band in 2024
    (order,) = size([routed("600000.SH")], config=SizingConfig(limit_buffer=Decimal("0.1")), reference=reference)
    assert order.limit_price == Decimal("10.50")
    assert reference["600000.SH"].band.contains(order.limit_price)


def test_size_batch_when_no_limit_listing_day_then_buffer_limit_used() -> None:
    reference = {"688001.SH": ref("688001.SH", "33.33", listing_index=0)}
    (order,) = size([routed("688001.SH", prev_close="33.33")], reference=reference)
    assert order.limit_price == Decimal("34.00")


def test_size_batch_when_signal_stock_suspended_then_no_buy() -> None:
    assert size([routed("600000.SH")], reference={}) == []


def test_size_batch_when_exits_held_then_sells_sellable_whole_and_valid() -> None:
    state = account(
        "100000",
        holding("600000.SH", 1000),
        holding("600004.SH", 300, sellable=100),  # 200 bought today: T+1
        holding("600006.SH", 150),  # odd lot: the whole remainder may go
        holding("600007.SH", 250, sellable=150),  # 150 sellable of 250: only 100 is a valid sell
        holding("600008.SH", 500),  # suspended: absent from reference
        holding("600009.SH", 500),  # not exited
    )
    reference = {s: ref(s) for s in ("600000.SH", "600004.SH", "600006.SH", "600007.SH", "600009.SH")}
    exits = ("600000.SH", "600004.SH", "600006.SH", "600007.SH", "600008.SH")
    orders = size_batch(DAY, [], exits, state, reference, SizingConfig(), COMMISSION)
    assert [(o.symbol, o.side, o.quantity) for o in orders] == [
        ("600000.SH", Side.SELL, 1000),
        ("600004.SH", Side.SELL, 100),
        ("600006.SH", Side.SELL, 150),
        ("600007.SH", Side.SELL, 100),
    ]
    assert {o.limit_price for o in orders} == {Decimal("9.80")}
    assert orders[0].order_id == "2024-03-05:acc:600000.SH:SELL"
    assert [o.batch_index for o in orders] == [0, 1, 2, 3]
    assert {o.batch_size for o in orders} == {4}


def test_size_batch_when_sell_buffer_below_limit_down_then_limit_is_limit_down() -> None:
    state = account("100000", holding("600000.SH", 1000))
    reference = {"600000.SH": ref("600000.SH", st=True)}
    config = SizingConfig(limit_buffer=Decimal("0.1"))
    (order,) = size_batch(DAY, [], ["600000.SH"], state, reference, config, COMMISSION)
    assert order.limit_price == Decimal("9.50")


def test_size_batch_when_exited_stock_also_confirmed_then_only_sell() -> None:
    state = account("990000", holding("600000.SH", 1000))
    orders = size([routed("600000.SH"), routed("600004.SH")], state=state, exits=("600000.SH",))
    assert [(o.symbol, o.side) for o in orders] == [("600000.SH", Side.SELL), ("600004.SH", Side.BUY)]


class CountingReference(Mapping[str, ReferenceData]):
    """A reference that records which symbols' values were read; membership is free, as a lazy one's."""

    def __init__(self, data: dict[str, ReferenceData]) -> None:
        self.data = data
        self.read: list[str] = []

    def __getitem__(self, symbol: str) -> ReferenceData:
        self.read.append(symbol)
        return self.data[symbol]

    def __contains__(self, symbol: object) -> bool:
        return symbol in self.data

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def test_size_batch_when_reference_is_lazy_then_only_ordered_symbols_are_read_and_orders_equal() -> None:
    signals = [routed(f"60{k:04d}.SH", p=0.5 + k / 100, b=1.5) for k in range(1, 13)]
    held = [holding("000001.SZ", 1000), holding("000002.SZ", 1000), holding("600100.SH", 9000, price="20.00")]
    data = {r.signal.symbol: ref(r.signal.symbol) for r in signals} | {p.symbol: ref(p.symbol) for p in held}
    state, exits, config = account("1000000", *held), ("000002.SZ",), SizingConfig(max_orders=4)
    lazy = CountingReference(data)
    orders = size_batch(DAY, signals, exits, state, lazy, config, COMMISSION)
    assert orders == size_batch(DAY, signals, exits, state, data, config, COMMISSION)
    ordered = {o.symbol for o in orders}
    # an exit, a trim of the 18% holding, and the four best buys; the other holding and eight signals unread
    assert "000002.SZ" in ordered and "600100.SH" in ordered and len(ordered) == 6
    assert set(lazy.read) == ordered
