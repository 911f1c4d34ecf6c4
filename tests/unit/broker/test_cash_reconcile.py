"""Cash and fees reconciled (issue 20 item 4): the broker's cash and each trade's fees against the journal's.

A simulated counter charging another commission rate than the journal's must show as a cash difference and
per-trade fee differences named by trade id; equal rates reconcile clean.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from support.broker_day import DAY, opens
from support.qmt import qmt_runtime
from support.sim_desk import FAST, command, opening

from alphamoe.broker.desk import DeskConfig, OrderDesk
from alphamoe.broker.journal import MemoryJournal
from alphamoe.broker.miniqmt import MiniQmtBroker
from alphamoe.broker.protocol import BrokerOrder, Fill
from alphamoe.broker.qmt.adapter import QmtBroker
from alphamoe.broker.reconcile import derive_opening
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.broker.simulated.xtquant import SimulatedXtQuantTrader, StockAccount
from alphamoe.kv.client import connect
from alphamoe.market.fees import CommissionSchedule
from alphamoe.portfolio import AccountState
from alphamoe.types import OrderStatus, Side

OURS = CommissionSchedule()  # 0.025 %: what the journal charges
NEGOTIATED = CommissionSchedule(rate=Decimal("0.0003"))  # what the counter charges
# BUY 10000 600000.SH at the open 10.10: 101000 CNY notional; commission 25.25 vs 30.30, transfer fee 1.01
JOURNAL_FEE, COUNTER_FEE = Decimal("26.26"), Decimal("31.31")


def miniqmt_desk(
    counter: CommissionSchedule, *, reports: bool = True, fees: CommissionSchedule | None = None
) -> OrderDesk:
    exchange = SimExchange(opening(), opens(), commission=counter)

    def trader(path: str, session: int) -> SimulatedXtQuantTrader:
        return SimulatedXtQuantTrader(path, session, exchange=exchange, reports_commission=reports)

    broker = MiniQmtBroker("sim", "acc", DAY, trader_factory=trader, account_factory=StockAccount, commission=OURS)
    desk = OrderDesk(broker, MemoryJournal(), DAY, DeskConfig(wait_s=FAST.wait_s, backoff=FAST.backoff, fees=fees))
    assert desk.start()
    return desk


def buy_and_reconcile(desk: OrderDesk) -> None:
    desk.submit(command(1, quantity=10000, limit="10.20"), "approval")
    assert desk.records()[0].status is OrderStatus.FILLED


def test_reconcile_when_counter_charges_another_rate_then_cash_and_fee_differences_name_the_trade() -> None:
    desk = miniqmt_desk(NEGOTIATED)
    buy_and_reconcile(desk)
    result = desk.reconcile()
    assert result.ok  # a money difference is reported, not a break: trading goes on
    assert result.cash is not None and not result.cash.ok
    assert result.cash.difference == JOURNAL_FEE - COUNTER_FEE
    [diff] = result.cash.fees
    assert (diff.trade_ids, diff.journal, diff.other, diff.source) == (("T000001",), JOURNAL_FEE, COUNTER_FEE, "broker")
    assert "T000001" in result.summary() and "-5.05" in result.summary()


def test_reconcile_when_counter_charges_the_journals_rate_then_clean() -> None:
    desk = miniqmt_desk(OURS, fees=OURS)
    buy_and_reconcile(desk)
    result = desk.reconcile()
    assert result.cash is not None and result.cash.ok, result.cash
    assert result.cash.broker == Decimal("1000000") - Decimal("101000") - JOURNAL_FEE


def test_reconcile_when_no_fees_reported_then_the_journals_charge_is_checked_against_the_accounts_schedule() -> None:
    # older xtquant: no `commission` on a trade; the account's negotiated schedule differs from the adapter's
    desk = miniqmt_desk(NEGOTIATED, reports=False, fees=NEGOTIATED)
    buy_and_reconcile(desk)
    result = desk.reconcile()
    assert result.cash is not None
    assert result.cash.difference == JOURNAL_FEE - COUNTER_FEE
    [diff] = result.cash.fees
    assert (diff.trade_ids, diff.journal, diff.other, diff.source) == (
        ("T000001",),
        JOURNAL_FEE,
        COUNTER_FEE,
        "schedule",
    )


def test_derive_opening_when_fills_before_the_first_connect_then_cash_has_them_undone() -> None:
    fill = Fill(
        client_order_id="c1",
        symbol="600000.SH",
        side=Side.BUY,
        quantity=100,
        price=Decimal("10"),
        fees=Decimal("5"),
        trade_id="T1",
        broker_fees=Decimal("6"),
    )
    order = BrokerOrder(
        client_order_id="c1",
        order_id="o1",
        symbol="600000.SH",
        side=Side.BUY,
        quantity=100,
        limit_price=Decimal("10"),
        status=OrderStatus.FILLED,
        filled_quantity=100,
        fills=(fill,),
    )
    now = AccountState(account_id="acc", trading_day=DAY, cash=Decimal("8994"))
    assert derive_opening(now, [order]).cash == Decimal("10000")  # 8994 + 1000 + the broker's 6


@pytest.mark.integration
def test_reconcile_when_qmt_counter_charges_another_rate_then_the_deals_fees_differ_by_trade_id(redis_url: str) -> None:
    exchange = SimExchange(opening(), opens(), commission=NEGOTIATED)
    runtime = qmt_runtime(exchange, redis_url)
    try:
        broker = QmtBroker(connect(redis_url), "acc", DAY, background=False, reply_timeout_s=2.0, commission=OURS)
        desk = OrderDesk(broker, MemoryJournal(), DAY, FAST)
        assert desk.start()
        buy_and_reconcile(desk)
        result = desk.reconcile()
        assert result.cash is not None and result.cash.difference == JOURNAL_FEE - COUNTER_FEE
        assert [(d.trade_ids, d.other) for d in result.cash.fees] == [(("T000001",), COUNTER_FEE)]
    finally:
        runtime.stop()
