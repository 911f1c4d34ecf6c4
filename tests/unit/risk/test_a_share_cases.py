"""Every pre-trade rule against a real A-share case: the order an exchange (or the account) would refuse."""

from datetime import date
from decimal import Decimal

import pytest
from support.risk_factories import SECRET

from alphamoe.events.payloads import OrderApproved, OrderProposed, OrderRejected
from alphamoe.market.fees import CommissionSchedule
from alphamoe.market.limits import limit_prices
from alphamoe.market.reference import ReferenceData
from alphamoe.portfolio import AccountState, Position
from alphamoe.risk.config import HFT_ORDERS_PER_DAY, HFT_ORDERS_PER_SECOND, RiskLimits
from alphamoe.risk.engine import Decision, RiskEngine, scope_of
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.reservations import MemoryReservations
from alphamoe.risk.rules import RULES
from alphamoe.risk.state import TradingState
from alphamoe.types import Side

DAY = date(2024, 6, 3)
ROOMY = RiskLimits(
    max_position_weight=1.0, max_board_weight=1.0, max_industry_weight=1.0, max_order_notional=Decimal("2000000")
)


def ref(symbol: str, prev_close: str, *, day: date = DAY, st: bool = False) -> ReferenceData:
    pc = Decimal(prev_close)
    return ReferenceData(symbol, day, pc, st, 500, limit_prices(symbol, pc, day, st=st, listing_day_index=500))


SPARE = tuple(f"6001{i:02d}.SH" for i in range(5))
"""Plain main-board stocks for tests of the day's counts: risk derives one order id per stock, side and day."""
REFERENCE = {
    r.symbol: r
    for r in (
        ref("600000.SH", "7.00"),  # SPD Bank, main board: ±10%
        ref("601398.SH", "6.00"),  # ICBC, main board
        ref("600519.SH", "1650.00"),  # Kweichow Moutai
        ref("300750.SZ", "180.20"),  # CATL, ChiNext: ±20% since 2020-08-24
        ref("688981.SH", "45.10"),  # SMIC, STAR: ±20%, buys of 200 then steps of 1
        ref("830799.BJ", "12.00"),  # a BSE stock: ±30%, buys of 100 then steps of 1
        ref("600654.SH", "3.00", st=True),  # an ST main-board stock: ±5% until 2025-07-06
        ref("600087.SH", "1.20"),  # in its delisting period (退)
        ref("603259.SH", "40.00"),  # locked at limit-up yesterday
        *(ref(s, "7.00") for s in SPARE),
    )
}
FACTS = MarketFacts(
    industries={"600000.SH": "银行", "601398.SH": "银行", "600519.SH": "食品饮料"},
    delisting=frozenset({"600087.SH"}),
    locked_limit_up=frozenset({"603259.SH"}),
)


def holding(symbol: str, quantity: int, sellable: int, price: str) -> Position:
    return Position(
        symbol=symbol,
        quantity=quantity,
        sellable=sellable,
        cost=Decimal(price) * quantity,
        last_price=Decimal(price),
    )


ACCOUNT = AccountState(
    account_id="acc",
    trading_day=DAY,
    cash=Decimal("1000000"),
    positions=(
        holding("600000.SH", 10_150, 10_150, "7.00"),  # 150 odd-lot shares from a bonus issue
        holding("601398.SH", 1000, 0, "6.00"),  # bought today: T+1
        holding("600087.SH", 500, 500, "1.20"),
    ),
)


def order(symbol: str, side: Side, quantity: int, limit: str) -> OrderProposed:
    return OrderProposed(
        trading_day=DAY,
        order_id=f"{DAY}:acc:{symbol}:{side.value}",
        account_id="acc",
        symbol=symbol,
        side=side,
        quantity=quantity,
        limit_price=Decimal(limit),
        reference_price=REFERENCE[symbol].prev_close if symbol in REFERENCE else Decimal("10"),
        target_weight=0.01,
        kelly_fraction=0.1,
    )


def decide(
    *orders: OrderProposed,
    limits: RiskLimits = ROOMY,
    account: AccountState = ACCOUNT,
    reference: dict[str, ReferenceData] | None = None,
    day: date = DAY,
    engine: RiskEngine | None = None,
) -> list[Decision]:
    engine = engine or RiskEngine(limits, SECRET, CommissionSchedule())
    return engine.evaluate_batch(day, list(orders), account, reference or REFERENCE, TradingState.ACTIVE, facts=FACTS)


def codes(decision: Decision) -> list[str]:
    return [v.code for v in decision.violations] if isinstance(decision, OrderRejected) else []


BUY, SELL = Side.BUY, Side.SELL
CASES = [
    # (id, refused order, the code it must carry, an order that passes)
    ("STAR 150-share buy", order("688981.SH", BUY, 150, "45.10"), "LOT_SIZE", order("688981.SH", BUY, 201, "45.10")),
    ("BSE 99-share buy", order("830799.BJ", BUY, 99, "12.00"), "LOT_SIZE", order("830799.BJ", BUY, 101, "12.00")),
    (
        "main board 150 buy",
        order("600519.SH", BUY, 150, "1650.00"),
        "LOT_SIZE",
        order("600519.SH", BUY, 100, "1650.00"),
    ),
    (
        "odd-lot sell not clearing the remainder",
        order("600000.SH", SELL, 50, "7.00"),
        "LOT_SIZE",
        order("600000.SH", SELL, 10_150, "7.00"),
    ),
    (
        "ChiNext +20% limit honoured",
        order("300750.SZ", BUY, 100, "216.25"),
        "PRICE_BAND",
        order("300750.SZ", BUY, 100, "216.24"),
    ),
    ("main board +10% limit", order("600000.SH", BUY, 100, "7.71"), "PRICE_BAND", order("600000.SH", BUY, 100, "7.70")),
    ("STAR +20% limit", order("688981.SH", BUY, 200, "54.13"), "PRICE_BAND", order("688981.SH", BUY, 200, "54.12")),
    ("BSE +30% limit", order("830799.BJ", BUY, 100, "15.61"), "PRICE_BAND", order("830799.BJ", BUY, 100, "15.60")),
    ("ST ±5% band on a sell", order("600654.SH", SELL, 100, "2.84"), "PRICE_BAND", None),
    ("ST buy blocked", order("600654.SH", BUY, 100, "3.00"), "ST_BUY", None),
    ("tick of 0.01", order("600000.SH", BUY, 100, "7.00"), None, None),
    ("T+1 sell of today's buy", order("601398.SH", SELL, 100, "6.00"), "T_PLUS_ONE", None),
    ("delisting-period buy", order("600087.SH", BUY, 100, "1.20"), "DELISTING", order("600087.SH", SELL, 500, "1.20")),
    ("locked at limit-up buy", order("603259.SH", BUY, 100, "44.00"), "LOCKED_LIMIT_UP", None),
    ("suspended stock", order("000002.SZ", BUY, 100, "10.00"), "SYMBOL_NOT_TRADING", None),
    (
        "cash with fees",
        order("600519.SH", BUY, 700, "1650.00"),  # 1,155,000 CNY > 1,000,000 cash
        "CASH",
        order("600519.SH", BUY, 600, "1650.00"),
    ),
]


@pytest.mark.parametrize(("refused", "code", "passing"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_share_case_when_order_breaks_rule_then_rejected_with_its_code(
    refused: OrderProposed, code: str | None, passing: OrderProposed | None
) -> None:
    (decision,) = decide(refused)
    if code is None:
        assert isinstance(decision, OrderApproved), codes(decision)
    else:
        assert code in codes(decision)
    if passing is not None:
        (ok,) = decide(passing)
        assert isinstance(ok, OrderApproved), codes(ok)


def test_chinext_band_before_2020_08_24_then_ten_percent() -> None:
    day = date(2020, 8, 21)
    reference = {"300750.SZ": ref("300750.SZ", "150.00", day=day)}
    account = ACCOUNT.model_copy(update={"trading_day": day})

    def at(limit: str) -> OrderProposed:
        return order("300750.SZ", BUY, 100, limit).model_copy(update={"trading_day": day})

    (over,) = decide(at("165.01"), reference=reference, account=account, day=day)
    (ok,) = decide(at("165.00"), reference=reference, account=account, day=day)
    assert codes(over) == ["PRICE_BAND"]
    assert isinstance(ok, OrderApproved)


def test_st_band_from_2025_07_07_then_ten_percent_for_main_board() -> None:
    old, new = date(2025, 7, 4), date(2025, 7, 7)
    assert limit_prices("600654.SH", Decimal("3.00"), old, st=True).up == Decimal("3.15")
    assert limit_prices("600654.SH", Decimal("3.00"), new, st=True).up == Decimal("3.30")


def test_max_weight_per_industry_when_two_banks_exceed_cap_then_second_rejected() -> None:
    limits = RiskLimits(max_position_weight=1.0, max_board_weight=1.0, max_industry_weight=0.1)
    # equity 1,000,000 + 71,050 + 6,000 + 600 = 1,077,650; banks already 77,050; cap 107,765
    (decision,) = decide(order("601398.SH", BUY, 5100, "6.00"), limits=limits)  # +30,600 → 107,650
    assert isinstance(decision, OrderApproved)
    (decision,) = decide(order("601398.SH", BUY, 5200, "6.00"), limits=limits)  # +31,200 → 108,250
    assert codes(decision) == ["MAX_INDUSTRY_WEIGHT"]
    assert "银行" in decision.violations[0].message  # type: ignore[union-attr]


def test_max_weight_per_board_when_star_buys_add_up_then_later_buy_rejected() -> None:
    limits = RiskLimits(max_position_weight=1.0, max_board_weight=0.02, max_industry_weight=1.0)  # 21,553 CNY
    reference = {**REFERENCE, "688012.SH": ref("688012.SH", "45.10")}
    first, second = order("688981.SH", BUY, 400, "45.10"), order("688012.SH", BUY, 200, "45.10")
    decisions = decide(first, second, limits=limits, reference=reference)  # 18,040 then 27,060 > 21,553
    assert isinstance(decisions[0], OrderApproved)
    assert codes(decisions[1]) == ["MAX_BOARD_WEIGHT"]


def test_order_rate_when_batch_exceeds_throttle_then_tail_rejected() -> None:
    limits = ROOMY.model_copy(update={"max_orders_per_second": 3})
    orders = [order(s, BUY, 100, "7.00") for s in SPARE]
    decisions = decide(*orders, limits=limits)
    assert [codes(d) for d in decisions] == [[], [], [], ["ORDER_RATE"], ["ORDER_RATE"]]


def test_active_order_cap_when_working_orders_at_cap_then_rejected_until_released() -> None:
    book = MemoryReservations()
    engine = RiskEngine(
        ROOMY.model_copy(update={"max_active_orders": 2}), SECRET, CommissionSchedule(), reservations=book
    )
    *symbols, last = SPARE[:4]
    first = decide(*(order(s, BUY, 100, "7.00") for s in symbols), engine=engine)
    assert [codes(d) for d in first] == [[], [], ["ACTIVE_ORDER_CAP"]]
    assert book.release(scope_of("acc", DAY), first[0].order.order_id)  # the first one filled
    assert not book.release(scope_of("acc", DAY), first[0].order.order_id)  # a second release changes nothing
    (again,) = decide(order(last, BUY, 100, "7.00"), engine=engine)
    assert isinstance(again, OrderApproved)


def test_daily_cancel_cap_when_orders_and_cancels_reach_cap_then_rejected() -> None:
    book = MemoryReservations()
    limits = ROOMY.model_copy(update={"max_orders_per_day": 2, "max_orders_and_cancels_per_day": 3})
    engine = RiskEngine(limits, SECRET, CommissionSchedule(), reservations=book)
    one, two = SPARE[:2]
    (first,) = decide(order(one, BUY, 100, "7.00"), engine=engine)
    assert isinstance(first, OrderApproved)
    assert book.record_cancel(scope_of("acc", DAY), 3)
    assert book.record_cancel(scope_of("acc", DAY), 3)
    assert not book.record_cancel(scope_of("acc", DAY), 3)  # 1 order + 2 cancels = the cap
    (second,) = decide(order(two, BUY, 100, "7.00"), engine=engine)
    assert codes(second) == ["DAILY_CANCEL_CAP"]


def test_max_order_notional_and_quantity_when_moutai_block_then_both_reported() -> None:
    limits = ROOMY.model_copy(update={"max_order_notional": Decimal("300000"), "max_order_quantity": 150})
    (decision,) = decide(order("600519.SH", BUY, 200, "1650.00"), limits=limits)
    assert codes(decision) == ["MAX_ORDER_QUANTITY", "MAX_ORDER_NOTIONAL"]


def test_risk_limits_defaults_when_built_then_below_the_exchanges_hft_thresholds() -> None:
    limits = RiskLimits()
    assert limits.max_orders_per_second < HFT_ORDERS_PER_SECOND == 300
    assert limits.max_orders_per_day <= limits.max_orders_and_cancels_per_day < HFT_ORDERS_PER_DAY == 20_000
    with pytest.raises(ValueError, match="max_orders_per_second"):
        RiskLimits(max_orders_per_second=300)
    with pytest.raises(ValueError, match="max_orders_and_cancels_per_day"):
        RiskLimits(max_orders_per_day=3000)


def test_rules_when_listed_then_every_issue_rule_present_in_fixed_order() -> None:
    assert [code for code, _ in RULES] == [
        "TRADING_DAY",
        "ACCOUNT",
        "KILL_SWITCH",
        "DUPLICATE_ORDER",
        "DAILY_ORDER_CAP",
        "DAILY_CANCEL_CAP",
        "ORDER_RATE",
        "ACTIVE_ORDER_CAP",
        "SYMBOL_NOT_TRADING",
        "DELISTING",
        "LOT_SIZE",
        "PRICE_TICK",
        "PRICE_BAND",
        "LOCKED_LIMIT_UP",
        "ST_BUY",
        "MAX_ORDER_QUANTITY",
        "MAX_ORDER_NOTIONAL",
        "T_PLUS_ONE",
        "CASH",
        "MAX_POSITION_WEIGHT",
        "MAX_BOARD_WEIGHT",
        "MAX_INDUSTRY_WEIGHT",
    ]
