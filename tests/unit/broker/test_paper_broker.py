from decimal import Decimal

import pytest
from support.broker_day import DAY, PREV, SUSPENDED
from support.sizing import holding

from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import Broker, BrokerOrder, BrokerUnavailableError, SubmitOrder
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState, Position
from alphamoe.types import OrderStatus, Side

COMMISSION = CommissionSchedule()


def broker(store: BarStore, cash: str = "100000", *positions: Position, **kwargs: float) -> PaperBroker:
    account = AccountState(account_id="acc", trading_day=DAY, cash=Decimal(cash), positions=positions)
    return PaperBroker(store, DAY, account, COMMISSION, **kwargs)


def order(symbol: str, side: Side, quantity: int, limit: str, cid: str | None = None) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=cid or f"c-{symbol}-{side.value}",
        order_id=f"{DAY}:acc:{symbol}:{side.value}",
        account_id="acc",
        trading_day=DAY,
        symbol=symbol,
        side=side,
        quantity=quantity,
        limit_price=Decimal(limit),
    )


def test_paper_broker_when_built_then_satisfies_broker_protocol(store: BarStore) -> None:
    paper: Broker = broker(store)
    assert paper.name == "paper"


def test_buy_when_open_at_or_below_limit_then_fills_at_open_with_fees(store: BarStore) -> None:
    paper = broker(store)
    result = paper.submit(order("600000.SH", Side.BUY, 1000, "10.20"))
    assert result.status == OrderStatus.FILLED
    assert result.average_price == Decimal("10.10")
    # notional 10,100: commission max(2.525, 5) = 5.00, transfer fee 0.00001 × 10,100 = 0.10
    assert result.fees == Decimal("5.10")
    state = paper.account()
    assert state.cash == Decimal("100000") - Decimal("10100") - Decimal("5.10")
    position = state.position("600000.SH")
    assert position is not None
    assert (position.quantity, position.sellable) == (1000, 0)  # T+1: bought today, not sellable
    assert position.cost == Decimal("10105.10")


def test_buy_when_open_above_limit_but_low_reaches_it_then_fills_at_limit(store: BarStore) -> None:
    result = broker(store).submit(order("600000.SH", Side.BUY, 1000, "10.00"))
    assert result.status == OrderStatus.FILLED
    assert result.fills[0].price == Decimal("10.00")


def test_buy_when_low_above_limit_then_stays_open_without_fill(store: BarStore) -> None:
    paper = broker(store)
    result = paper.submit(order("600000.SH", Side.BUY, 1000, "9.79"))
    assert result.status == OrderStatus.ACCEPTED
    assert result.filled_quantity == 0
    assert paper.account().cash == Decimal("100000")


def test_buy_when_sealed_at_limit_up_then_does_not_fill(store: BarStore) -> None:
    result = broker(store).submit(order("600001.SH", Side.BUY, 1000, "11.00"))
    assert result.status == OrderStatus.ACCEPTED
    assert result.fills == ()


def test_sell_when_open_at_or_above_limit_then_fills_at_open_with_stamp_duty(store: BarStore) -> None:
    paper = broker(store, "0", holding("600000.SH", 1000))
    result = paper.submit(order("600000.SH", Side.SELL, 1000, "9.90"))
    assert result.status == OrderStatus.FILLED
    assert result.average_price == Decimal("10.10")
    # 10,100: commission 5.00 + stamp duty 0.05% = 5.05 + transfer fee 0.10
    assert result.fees == Decimal("10.15")
    state = paper.account()
    assert state.cash == Decimal("10089.85")
    assert state.positions == ()


def test_sell_when_open_below_limit_but_high_reaches_it_then_fills_at_limit(store: BarStore) -> None:
    result = broker(store, "0", holding("600000.SH", 1000)).submit(order("600000.SH", Side.SELL, 500, "10.40"))
    assert result.status == OrderStatus.FILLED
    assert result.fills[0].price == Decimal("10.40")


def test_sell_when_high_below_limit_then_no_fill(store: BarStore) -> None:
    result = broker(store, "0", holding("600000.SH", 1000)).submit(order("600000.SH", Side.SELL, 500, "10.51"))
    assert result.status == OrderStatus.ACCEPTED


def test_sell_when_sealed_at_limit_down_then_does_not_fill(store: BarStore) -> None:
    result = broker(store, "0", holding("600002.SH", 1000)).submit(order("600002.SH", Side.SELL, 1000, "9.00"))
    assert result.status == OrderStatus.ACCEPTED


def test_buy_when_above_volume_cap_then_partial_fill_in_valid_lots(store: BarStore) -> None:
    paper = broker(store)
    main = paper.submit(order("600003.SH", Side.BUY, 500, "10.10"))  # cap 125 → 100
    star = paper.submit(order("688001.SH", Side.BUY, 400, "30.00"))  # cap 250, STAR steps of 1
    assert (main.status, main.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, 100)
    assert (star.status, star.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, 250)


def test_buy_when_volume_cap_used_by_earlier_order_then_nothing_left(store: BarStore) -> None:
    paper = broker(store)
    paper.submit(order("688001.SH", Side.BUY, 250, "30.00", cid="first"))
    second = paper.submit(order("688001.SH", Side.BUY, 200, "30.00", cid="second"))
    assert (second.status, second.filled_quantity) == (OrderStatus.ACCEPTED, 0)


def test_buy_when_volume_cap_below_star_minimum_then_no_fill(store: BarStore) -> None:
    result = broker(store, volume_cap=0.05).submit(order("688001.SH", Side.BUY, 400, "30.00"))  # cap 125 < 200
    assert result.filled_quantity == 0


def test_sell_when_beyond_sellable_then_rejected_t_plus_one(store: BarStore) -> None:
    paper = broker(store, "0", holding("600000.SH", 1000, sellable=400))
    result = paper.submit(order("600000.SH", Side.SELL, 500, "10.00"))
    assert result.status == OrderStatus.REJECTED
    assert "T+1" in result.reason
    assert "400" in result.reason


def test_sell_when_bought_today_then_rejected_t_plus_one(store: BarStore) -> None:
    paper = broker(store)
    paper.submit(order("600000.SH", Side.BUY, 1000, "10.20"))
    result = paper.submit(order("600000.SH", Side.SELL, 1000, "10.00"))
    assert result.status == OrderStatus.REJECTED
    assert "T+1" in result.reason


def test_sell_when_open_sell_already_holds_shares_then_second_rejected(store: BarStore) -> None:
    paper = broker(store, "0", holding("600000.SH", 1000))
    paper.submit(order("600000.SH", Side.SELL, 600, "10.60", cid="first"))  # above the high: stays open
    result = paper.submit(order("600000.SH", Side.SELL, 500, "10.00", cid="second"))
    assert result.status == OrderStatus.REJECTED


def test_buy_when_beyond_cash_with_fees_then_rejected(store: BarStore) -> None:
    result = broker(store, "10200").submit(order("600000.SH", Side.BUY, 1000, "10.20"))
    assert result.status == OrderStatus.REJECTED
    assert "cash" in result.reason


def test_buy_when_open_buy_freezes_cash_then_next_buy_rejected(store: BarStore) -> None:
    paper = broker(store, "15000")
    paper.submit(order("600000.SH", Side.BUY, 1000, "9.79", cid="resting"))  # no fill: 9,795.10 frozen
    result = paper.submit(order("600003.SH", Side.BUY, 100, "10.10", cid="next"))  # fits the 5,204.90 free
    assert result.status == OrderStatus.FILLED
    # 13,994.99 cash but only 4,199.89 free: a 5,105.05 buy is refused
    third = paper.submit(order("600000.SH", Side.BUY, 500, "10.20", cid="third"))
    assert third.status == OrderStatus.REJECTED


def test_submit_when_stock_has_no_bar_then_rejected_suspended(store: BarStore) -> None:
    result = broker(store).submit(order(SUSPENDED, Side.BUY, 100, "5.00"))
    assert result.status == OrderStatus.REJECTED
    assert "suspended" in result.reason


@pytest.mark.parametrize(("quantity", "limit"), [(150, "10.00"), (100, "11.01"), (100, "8.99")])
def test_submit_when_odd_lot_or_outside_band_then_rejected(store: BarStore, quantity: int, limit: str) -> None:
    result = broker(store).submit(order("600000.SH", Side.BUY, quantity, limit))
    assert result.status == OrderStatus.REJECTED


def test_submit_when_same_client_order_id_twice_then_one_order_one_fill(store: BarStore) -> None:
    paper = broker(store)
    first = paper.submit(order("600000.SH", Side.BUY, 1000, "10.20"))
    cash = paper.account().cash
    again = paper.submit(order("600000.SH", Side.BUY, 1000, "10.20"))
    assert again == first
    assert paper.account().cash == cash
    assert len(paper.orders()) == 1


def test_subscribe_when_order_fills_then_callback_gets_each_state(store: BarStore) -> None:
    paper = broker(store)
    seen: list[BrokerOrder] = []
    paper.subscribe(seen.append)
    paper.submit(order("600000.SH", Side.BUY, 1000, "10.20"))
    paper.submit(order(SUSPENDED, Side.BUY, 100, "5.00"))
    assert [o.status for o in seen] == [OrderStatus.ACCEPTED, OrderStatus.FILLED, OrderStatus.REJECTED]


def test_end_of_day_when_orders_open_then_cancelled_keeping_fills_and_marked_to_close(store: BarStore) -> None:
    paper = broker(store, "100000", holding("600001.SH", 500, price="10.00"))
    partial = paper.submit(order("688001.SH", Side.BUY, 400, "30.00"))
    resting = paper.submit(order("600000.SH", Side.BUY, 1000, "9.79"))
    state = paper.end_of_day()
    by_id = {o.client_order_id: o for o in paper.orders()}
    assert by_id[partial.client_order_id].status == OrderStatus.CANCELLED
    assert by_id[partial.client_order_id].filled_quantity == 250
    assert by_id[resting.client_order_id].status == OrderStatus.CANCELLED
    assert {p.symbol: p.last_price for p in state.positions} == {
        "600001.SH": Decimal("11.00"),
        "688001.SH": Decimal("30.20"),
    }
    assert state == paper.account()
    late = paper.submit(order("600000.SH", Side.BUY, 100, "10.20", cid="late"))
    assert late.status == OrderStatus.REJECTED


def test_cancel_when_order_open_then_cancelled_and_cash_unfrozen(store: BarStore) -> None:
    paper = broker(store, "10000")
    resting = paper.submit(order("600000.SH", Side.BUY, 900, "9.79", cid="resting"))
    assert paper.cancel(resting.client_order_id).status == OrderStatus.CANCELLED
    result = paper.submit(order("600000.SH", Side.BUY, 900, "10.20", cid="next"))
    assert result.status == OrderStatus.FILLED


def test_paper_broker_when_account_from_previous_day_then_rolled_and_yesterdays_buys_sellable(store: BarStore) -> None:
    yesterday = AccountState(
        account_id="acc", trading_day=PREV, cash=Decimal("0"), positions=(holding("600000.SH", 1000, sellable=0),)
    )
    paper = PaperBroker(store, DAY, yesterday, COMMISSION)
    result = paper.submit(order("600000.SH", Side.SELL, 1000, "10.00"))
    assert result.status == OrderStatus.FILLED


def test_submit_when_above_the_per_order_maximum_then_rejected_as_the_exchange_does(store: BarStore) -> None:
    main = broker(store, "100000000").submit(order("600000.SH", Side.BUY, 1_000_100, "10.20"))
    star = broker(store, "100000000").submit(order("688001.SH", Side.BUY, 100_001, "30.00"))
    assert (main.status, star.status) == (OrderStatus.REJECTED, OrderStatus.REJECTED)
    assert "per-order maximum 1000000" in main.reason and "per-order maximum 100000" in star.reason


def test_submit_when_session_closed_then_broker_unavailable(store: BarStore) -> None:
    paper = broker(store)
    paper.close()
    with pytest.raises(BrokerUnavailableError):
        paper.submit(order("600000.SH", Side.BUY, 100, "10.20"))
