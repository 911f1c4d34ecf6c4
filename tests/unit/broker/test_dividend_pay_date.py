"""A dividend is owed from its ex date and paid on its pay date: a receivable in the equity until then (issue 15).

601328.SH's 2014 dividend (0.27 CNY a share before tax) as tushare's `dividend` publishes it: ex and paid on
2015-06-03, as SSE pays most cash dividends on the ex date. The same record with the pay date moved to
2015-06-05 (constructed: two sessions later, as SSE paid dividends in the 2000s) shows the receivable.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import SubmitOrder
from alphamoe.broker.reconcile import derive_opening, reconcile
from alphamoe.data.ganlei import write_ganlei
from alphamoe.data.sources import write_actions_source
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.portfolio import AccountState
from alphamoe.report.day import opening_actions
from alphamoe.types import Side

CASH = Decimal(1_000_000)
DAYS = [date(2015, 6, 2), date(2015, 6, 3), date(2015, 6, 4), date(2015, 6, 5)]
HEADER = "ts_code,end_date,ann_date,div_proc,stk_div,stk_bo_rate,stk_co_rate,cash_div,cash_div_tax,record_date,ex_date,pay_date,div_listdate,imp_ann_date"  # noqa: E501
ROW = "601328.SH,20141231,20150428,实施,0.0,,,0.2430,0.27,20150602,20150603,{pay},,20150528"
NET = Decimal("2700.00")  # 10,000 × 0.27, paid gross: since 2013 the tax is collected at a sale (财税〔2012〕85号)

pytestmark = pytest.mark.realdata


def _store(real_daily_dir: Path, tmp: Path, pay: str) -> BarStore:
    folder = tmp / "csv"
    folder.mkdir()
    shutil.copy(real_daily_dir / "sh601328.csv", folder / "sh601328.csv")
    write_ganlei(folder, tmp / "store")
    table = tmp / "dividend.csv"
    table.write_text(f"{HEADER}\n{ROW.format(pay=pay)}\n", encoding="utf-8")
    write_actions_source("tushare", table, tmp / "store")
    return BarStore(tmp / "store")


def _run(store: BarStore, book: AccountBook) -> list[AccountState]:
    # one paper session a day, each close carried to the next open; 10,000 shares bought on the first day
    closes = []
    for day in DAYS:
        broker = PaperBroker(store, day, book.opening_state(day), CommissionSchedule())
        if day == DAYS[0]:
            limit = Decimal(str(store.day(day)["601328.SH"].high)).quantize(Decimal("0.01"))
            order = SubmitOrder(client_order_id="c1", order_id="o1", account_id="acc", trading_day=day,
                                symbol="601328.SH", side=Side.BUY, quantity=10000, limit_price=limit)  # fmt: skip
            broker.submit(order)
        closes.append(broker.end_of_day())
        book.save_close(closes[-1])
    return closes


def _market_move(store: BarStore, day: date) -> Decimal:
    bar = store.day(day)["601328.SH"]
    return 10000 * (Decimal(str(bar.close)) - Decimal(str(bar.prev_close)))


def test_paper_when_601328_paid_on_its_ex_date_as_published_then_cash_at_the_ex_open(
    real_daily_dir: Path, tmp_path: Path
) -> None:
    store = _store(real_daily_dir, tmp_path, pay="20150603")
    book = AccountBook(tmp_path / "book", "acc", CASH, actions=store)
    before, ex, *_ = _run(store, book)
    assert ex.cash - before.cash == NET
    assert ex.receivables == ()
    (row,) = opening_actions(book, DAYS[1])
    assert (row.cash, row.receivable, row.pay_date) == (NET, Decimal(0), None)


def test_paper_when_601328_paid_two_sessions_after_its_ex_date_then_a_receivable_until_the_pay_date(
    real_daily_dir: Path, tmp_path: Path
) -> None:
    store = _store(real_daily_dir, tmp_path, pay="20150605")
    book = AccountBook(tmp_path / "book", "acc", CASH, actions=store)
    before, ex, between, paid = _run(store, book)
    # ex date: no cash yet, the dividend owed is part of the equity (no jump but the market's)
    assert ex.cash == before.cash
    assert ex.receivable == NET
    assert abs(ex.equity - before.equity - _market_move(store, DAYS[1])) <= Decimal("0.01") * 10000
    assert between.cash == before.cash and between.receivable == NET
    # pay date: the cash arrives, the receivable is gone, the equity moves only with the market
    assert paid.cash - between.cash == NET
    assert paid.receivables == ()
    assert paid.equity - between.equity == _market_move(store, DAYS[3])
    # the day report's opening says so: owed on the ex date, paid on the pay date
    (owed,) = opening_actions(book, DAYS[1])
    assert (owed.cash, owed.receivable, owed.pay_date) == (Decimal(0), NET, DAYS[3])
    assert opening_actions(book, DAYS[2]) == []
    (credit,) = opening_actions(book, DAYS[3])
    assert (credit.ex_date, credit.cash, credit.pay_date, credit.held) == (DAYS[1], NET, DAYS[3], 0)


def test_account_when_rolled_over_ex_and_pay_dates_at_once_then_the_cash_is_paid(
    real_daily_dir: Path, tmp_path: Path
) -> None:
    # an account closed on 06-02 and opened next on 06-08 is owed nothing more: the dividend was paid 06-05
    store = _store(real_daily_dir, tmp_path, pay="20150605")
    book = AccountBook(tmp_path / "book", "acc", CASH, actions=store)
    before = _run(store, book)[0]
    for path in list(book.snapshots().values())[1:]:
        path.unlink()
    later = book.opening_state(date(2015, 6, 8))
    assert later.cash - before.cash == NET
    assert later.receivables == ()


def test_reconcile_when_a_dividend_is_owed_then_positions_reconcile_and_the_opening_keeps_it(
    real_daily_dir: Path, tmp_path: Path
) -> None:
    # the ex date's paper account against itself as the broker: the receivable breaks nothing, and the
    # opening derived from the broker's account (a restart) still holds it
    store = _store(real_daily_dir, tmp_path, pay="20150605")
    book = AccountBook(tmp_path / "book", "acc", CASH, actions=store)
    _, ex, *_ = _run(store, book)
    opening = book.opening_state(DAYS[1])
    assert opening.receivable == NET
    result = reconcile([], [], ex, opening, store.actions_between(DAYS[1], DAYS[1]))
    assert result.ok, result.breaks
    assert derive_opening(ex, []).receivables == ex.receivables != ()


def test_paper_when_sold_within_a_month_of_buying_then_20_percent_of_the_dividend_deducted_at_the_sale(
    real_daily_dir: Path, tmp_path: Path
) -> None:
    # bought 06-02, dividend credited gross 06-03, sold 06-12: held ≤ 1 month, the broker deducts 20% of the
    # 2,700 CNY dividend from the cash at the sale (财税〔2012〕85号), beside the sale's fees
    store = _store(real_daily_dir, tmp_path, pay="20150603")
    book = AccountBook(tmp_path / "book", "acc", CASH, actions=store)
    close = _run(store, book)[-1]
    day = date(2015, 6, 12)
    broker = PaperBroker(store, day, book.opening_state(day), CommissionSchedule())
    limit = Decimal(str(store.day(day)["601328.SH"].low)).quantize(Decimal("0.01"))
    sell = SubmitOrder(client_order_id="c2", order_id="o2", account_id="acc", trading_day=day,
                       symbol="601328.SH", side=Side.SELL, quantity=10000, limit_price=limit)  # fmt: skip
    broker.submit(sell)
    after = broker.end_of_day()
    ((fill,),) = [o.fills for o in broker.orders()]
    assert after.positions == ()
    assert after.cash - close.cash == fill.quantity * fill.price - fill.fees - Decimal(540)
