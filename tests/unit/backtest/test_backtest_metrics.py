"""Backtest metrics on hand-computed cases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from alphamoe.backtest.metrics import compute_metrics
from alphamoe.backtest.result import EquityPoint, TradeRecord
from alphamoe.types import Side


def _point(day: int, equity: float, exposure: float = 0.5) -> EquityPoint:
    return EquityPoint(day=date(2024, 1, day), equity=equity, cash=equity * (1 - exposure), exposure=exposure)


def _trade(day: int, side: Side, quantity: int, price: str, fees: str = "5") -> TradeRecord:
    return TradeRecord(
        symbol="600000.SH",
        side=side,
        day=date(2024, 1, day),
        quantity=quantity,
        price=Decimal(price),
        fees=Decimal(fees),
        order_id=f"{day}{side}",
    )


def test_compute_metrics_when_equity_rises_and_falls_then_drawdown_and_return_match() -> None:
    equity = [_point(2, 110.0), _point(3, 99.0), _point(4, 121.0)]
    m = compute_metrics(equity, [], 100.0)
    assert m.total_return == pytest.approx(0.21)
    assert m.max_drawdown == pytest.approx(0.1)  # 110 → 99
    assert m.exposure == pytest.approx(0.5)
    assert m.win_rate is None and m.round_trips == 0


def test_compute_metrics_when_round_trips_then_win_rate_counts_fifo_pieces_net_of_fees() -> None:
    trades = [
        _trade(2, Side.BUY, 100, "10.00"),
        _trade(3, Side.SELL, 100, "10.05"),  # +5 gross, −10 fees: a loss
        _trade(4, Side.BUY, 100, "10.00"),
        _trade(5, Side.SELL, 60, "11.00"),  # +60 gross, −(3 + 5) fees: a win
        _trade(8, Side.SELL, 40, "11.00"),  # +40 gross, −(2 + 5) fees: a win, the lot's odd remainder
    ]
    m = compute_metrics([_point(9, 100.0)], trades, 100.0)
    assert (m.round_trips, m.fills) == (3, 5) and m.win_rate == pytest.approx(2 / 3)
    assert m.fees == pytest.approx(25.0)
    assert [m.avg_win, m.avg_loss, m.profit_factor] == pytest.approx([42.5, -5.0, 17.0])  # (52 + 33) / 2, −5, 85 / 5
