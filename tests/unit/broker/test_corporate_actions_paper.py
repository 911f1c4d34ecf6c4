"""Paper accounts across real ex dates: a holding keeps its value, a dividend is credited (issue 15)."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from alphamoe.broker.paper import PaperBroker
from alphamoe.broker.protocol import SubmitOrder
from alphamoe.data.ganlei import write_ganlei
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.portfolio import AccountState
from alphamoe.types import Side

CASH = Decimal(1_000_000)


@pytest.fixture(scope="module")
def store(real_daily_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BarStore:
    folder = tmp_path_factory.mktemp("ca-csv")
    for name in ("sz000425.csv", "sh601328.csv"):
        shutil.copy(real_daily_dir / name, folder / name)
    out = tmp_path_factory.mktemp("ca-store")
    write_ganlei(folder, out)
    return BarStore(out)


def _run(store: BarStore, book: AccountBook, days: list[date], symbol: str, quantity: int) -> list[AccountState]:
    # one paper session per day, the book carrying each close to the next open; buy at the first open
    closes = []
    for day in days:
        broker = PaperBroker(store, day, book.opening_state(day), CommissionSchedule())
        if day == days[0]:
            bar = store.day(day)[symbol]
            limit = Decimal(str(bar.high)).quantize(Decimal("0.01"))
            broker.submit(SubmitOrder(client_order_id="c1", order_id="o1", account_id="acc", trading_day=day,
                                      symbol=symbol, side=Side.BUY, quantity=quantity, limit_price=limit))  # fmt: skip
        closes.append(broker.end_of_day())
        book.save_close(closes[-1])
    return closes


def test_paper_when_000425_held_through_1_to_3_on_2015_09_23_then_value_kept_but_the_market_move(
    store: BarStore, tmp_path: Path
) -> None:
    book = AccountBook(tmp_path, "acc", CASH, actions=store)
    days = [date(2015, 9, 22), date(2015, 9, 23), date(2015, 9, 24)]
    before, ex, after = _run(store, book, days, "000425.SZ", 3600)
    bar = store.day(days[1])["000425.SZ"]
    position = ex.position("000425.SZ")
    assert position is not None
    assert (position.quantity, position.sellable) == (10800, 3600)  # the 7,200 new shares list on 09-24
    market_move = position.quantity * (Decimal(str(bar.close)) - Decimal(str(bar.prev_close)))
    assert abs(ex.equity - before.equity - market_move) <= Decimal("0.01") * position.quantity
    assert after.position("000425.SZ").sellable == 10800  # type: ignore[union-attr]


def test_paper_when_601328_held_through_ex_dividend_2015_06_03_then_dividend_credited_gross(
    store: BarStore, tmp_path: Path
) -> None:
    book = AccountBook(tmp_path, "acc", CASH, actions=store)
    before, ex = _run(store, book, [date(2015, 6, 2), date(2015, 6, 3)], "601328.SH", 10000)
    # 10,000 × 0.27 = 2,700, paid gross: since 2013 the tax is collected at a sale (财税〔2012〕85号)
    assert ex.cash - before.cash == Decimal("2700.00")
    bar = store.day(date(2015, 6, 3))["601328.SH"]
    market_move = 10000 * (Decimal(str(bar.close)) - Decimal(str(bar.prev_close)))
    assert abs(ex.equity - before.equity - market_move) <= Decimal("0.01") * 10000
