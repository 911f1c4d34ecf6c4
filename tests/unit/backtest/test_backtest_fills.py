"""The backtest's matching equals the paper broker's, and each A-share rule blocks the fill it must."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import Session, fill_order
from alphamoe.backtest.fills import fill_price_fen
from alphamoe.backtest.ledger import Ledger
from alphamoe.backtest.market import build_market
from alphamoe.backtest.result import TradeRecord, UnfilledOrder
from alphamoe.broker.paper import fill_price
from alphamoe.events.payloads import OrderProposed
from alphamoe.market.bars import DayBar, Panel
from alphamoe.market.fees import trade_fees
from alphamoe.market.limits import PriceBand
from alphamoe.types import Side

DAYS = [date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6), date(2024, 3, 7)]


def _bar(open_: float, high: float, low: float) -> DayBar:
    return DayBar(DAYS[0], "600000.SH", "x", open_, high, low, low, 10.0, 1e6, 1e7, False, 100)


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_fill_price_fen_when_compared_with_paper_broker_then_equal_on_every_case(side: Side) -> None:
    prices = [900, 950, 1000, 1050, 1100]
    band = PriceBand(Decimal("9.00"), Decimal("11.00"))
    for open_, high, low, limit in itertools.product(prices, prices, prices, [920, 1000, 1080, 1100, 900]):
        if not low <= open_ <= high:
            continue
        expected = fill_price(side, Decimal(limit) / 100, _bar(open_ / 100, high / 100, low / 100), band)
        got = fill_price_fen(side, limit, open_, high, low, 1100, 900)
        assert (None if got is None else Decimal(got) / 100) == expected, (side, open_, high, low, limit)


def _panel(rows: list[tuple[float, ...]]) -> Panel:
    # one main-board stock; each row (open, high, low, close, prev_close, volume), NaN = suspended
    a = np.array(rows, dtype=np.float64)
    traded = ~np.isnan(a[:, 0])

    def col(k: int) -> np.ndarray:
        return a[:, k : k + 1].copy()

    return Panel(
        dates=np.array(DAYS[: len(rows)], dtype="datetime64[D]"),
        symbols=("600000.SH",),
        open=col(0),
        high=col(1),
        low=col(2),
        close=col(3),
        prev_close=col(4),
        volume=col(5),
        amount=col(5) * col(3),
        st=np.zeros((len(rows), 1), dtype=bool),
        listing_index=np.where(traded, 500, -1).astype(np.int32)[:, None],
    )


def _order(day: date, side: Side, quantity: int, limit: str) -> OrderProposed:
    return OrderProposed(
        trading_day=day,
        order_id=f"{day}:t:600000.SH:{side.value}",
        account_id="t",
        symbol="600000.SH",
        side=side,
        quantity=quantity,
        limit_price=Decimal(limit),
        reference_price=Decimal("10.00"),
        target_weight=0.1,
        kelly_fraction=0.1,
    )


NAN = float("nan")
SEALED_UP = (11.0, 11.0, 11.0, 11.0, 10.0, 1e6)
SEALED_DOWN = (9.0, 9.0, 9.0, 9.0, 10.0, 1e6)
NORMAL = (10.0, 10.5, 9.8, 10.2, 10.0, 1e6)


def _try(
    row_bar: tuple[float, ...],
    side: Side,
    quantity: int,
    limit: str,
    held: int = 0,
    misses: list[UnfilledOrder] | None = None,
) -> tuple[str | None, list[TradeRecord], Ledger]:
    market = build_market(_panel([NORMAL, row_bar]), 1, min_listing_days=0)
    ledger = Ledger("t", Decimal("100000"))
    if held:
        ledger.buy("600000.SH", held, Decimal("10.00"), Decimal("5.00"))
        ledger.opening(DAYS[1])  # bought before the session: sellable now
    trades: list[TradeRecord] = []
    reason = fill_order(
        _order(DAYS[1], side, quantity, limit),
        Session(1, DAYS[1]),
        0,
        market,
        ledger,
        BacktestConfig(),
        trades,
        misses,
    )
    return reason, trades, ledger


def test_fill_order_when_bar_sealed_at_limit_up_then_buy_does_not_fill() -> None:
    reason, trades, _ = _try(SEALED_UP, Side.BUY, 100, "11.00")
    assert reason == "sealed_limit_up" and trades == []


def test_fill_order_when_bar_sealed_at_limit_down_then_sell_does_not_fill() -> None:
    reason, trades, _ = _try(SEALED_DOWN, Side.SELL, 100, "9.00", held=100)
    assert reason == "sealed_limit_down" and trades == []


def test_fill_order_when_suspended_then_nothing_fills() -> None:
    reason, trades, _ = _try((NAN,) * 6, Side.BUY, 100, "10.20")
    assert reason == "suspended" and trades == []


def test_fill_order_when_bought_today_then_sell_is_refused_t_plus_one() -> None:
    market = build_market(_panel([NORMAL, NORMAL]), 1, min_listing_days=0)
    ledger = Ledger("t", Decimal("100000"))
    ledger.opening(DAYS[1])
    session = Session(1, DAYS[1])
    trades: list[TradeRecord] = []
    assert (
        fill_order(_order(DAYS[1], Side.BUY, 100, "10.20"), session, 0, market, ledger, BacktestConfig(), trades)
        is None
    )
    assert (
        fill_order(_order(DAYS[1], Side.SELL, 100, "9.90"), session, 0, market, ledger, BacktestConfig(), trades)
        == "t_plus_one"
    )
    ledger.opening(DAYS[2])
    assert ledger.sellable("600000.SH") == 100


def test_fill_order_when_filled_then_price_at_open_and_fees_dated_with_minimum_commission() -> None:
    reason, trades, ledger = _try(NORMAL, Side.BUY, 100, "10.20")
    assert reason is None
    (trade,) = trades
    assert (trade.price, trade.quantity) == (Decimal("10.00"), 100)
    expected_fees = trade_fees("600000.SH", Side.BUY, 100, Decimal("10.00"), DAYS[1], BacktestConfig().commission)
    assert trade.fees == expected_fees >= Decimal("5.00")  # 0.025% of 1,000 CNY is below the 5 CNY minimum
    assert ledger.cash == Decimal("100000") - Decimal("1000.00") - expected_fees


def test_fill_order_when_volume_is_thin_then_fill_is_capped_to_whole_lots() -> None:
    thin = (10.0, 10.5, 9.8, 10.2, 10.0, 2_550.0)  # 10% of 2,550 shares = 255 → 200 (lots of 100)
    reason, trades, _ = _try(thin, Side.BUY, 1_000, "10.20")
    assert reason is None and [t.quantity for t in trades] == [200]


def test_fill_order_when_not_filled_in_full_then_each_order_is_listed_with_its_reason() -> None:
    misses: list[UnfilledOrder] = []
    _try(SEALED_UP, Side.BUY, 100, "11.00", misses=misses)
    _try(SEALED_DOWN, Side.SELL, 100, "9.00", held=100, misses=misses)
    _try((NAN,) * 6, Side.BUY, 300, "10.20", misses=misses)
    _try((10.0, 10.5, 9.8, 10.2, 10.0, 2_550.0), Side.BUY, 1_000, "10.20", misses=misses)  # 200 of 1,000
    _try(NORMAL, Side.BUY, 100, "10.20", misses=misses)  # filled in full: not listed

    assert [(m.day, m.symbol, m.side, m.quantity, m.filled, m.limit_price, m.reason) for m in misses] == [
        (DAYS[1], "600000.SH", Side.BUY, 100, 0, Decimal("11.00"), "sealed_limit_up"),
        (DAYS[1], "600000.SH", Side.SELL, 100, 0, Decimal("9.00"), "sealed_limit_down"),
        (DAYS[1], "600000.SH", Side.BUY, 300, 0, Decimal("10.20"), "suspended"),
        (DAYS[1], "600000.SH", Side.BUY, 1_000, 200, Decimal("10.20"), "volume_cap"),
    ]
