"""The trader's figures on hand-computed cases: Sharpe, Sortino, Calmar, alpha/beta, IR, yearly, FIFO round trips."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alphamoe.backtest.analysis import analyse, benchmark_closes, by_symbol
from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.engine import prepare, simulate
from alphamoe.backtest.metrics import (
    SESSIONS_PER_YEAR,
    compute_metrics,
    round_trips,
    versus_benchmark,
    yearly_returns,
)
from alphamoe.backtest.result import EquityPoint, TradeRecord
from alphamoe.market.bars import BarStore
from alphamoe.strategy.trend_breakout import TrendBreakout
from alphamoe.types import Side

SESSIONS = [d.date() for d in pd.bdate_range("2024-01-02", "2024-01-10")]  # 02 03 04 05 08 09 10


def _fill(day: int, side: Side, quantity: int, price: str, fees: str, symbol: str = "600000.SH") -> TradeRecord:
    return TradeRecord(
        symbol=symbol, side=side, day=date(2024, 1, day), quantity=quantity, price=Decimal(price),
        fees=Decimal(fees), order_id=f"{symbol}{day}{side}",
    )  # fmt: skip


def _equity(*values: float) -> list[EquityPoint]:
    return [EquityPoint(day=SESSIONS[k], equity=v, cash=v, exposure=0.0) for k, v in enumerate(values)]


def test_compute_metrics_when_three_days_then_sharpe_sortino_calmar_as_by_hand() -> None:
    # r = +10%, −5%, +10%: mean 5%; std (ddof 1) = 5%·√3; downside deviation = √(0.05² / 3) = 5% / √3
    m = compute_metrics(_equity(110.0, 104.5, 114.95), [], 100.0)
    assert SESSIONS_PER_YEAR == 243  # so √N = 9√3
    assert m.sharpe == pytest.approx(9.0)  # (1/√3)·9√3
    assert m.sortino == pytest.approx(27.0)  # √3·9√3
    assert m.max_drawdown == pytest.approx(0.05)  # 110 → 104.5
    growth = 1.1495 ** (365.25 / 3) - 1  # 3 calendar days, from the day before the first session
    assert m.cagr == pytest.approx(growth)
    assert m.calmar == pytest.approx(growth / 0.05)


def test_compute_metrics_when_no_losing_day_or_drawdown_then_sortino_and_calmar_are_none() -> None:
    m = compute_metrics(_equity(101.0, 102.0), [], 100.0)
    assert m.sortino is None and m.calmar is None and m.profit_factor is None and m.win_rate is None


def test_versus_benchmark_when_returns_are_linear_then_alpha_beta_and_ir_exact() -> None:
    b = np.array([0.019, -0.001, 0.009])
    r = 0.001 + 2.0 * b  # so beta 2, daily alpha 0.1%; r − b = 2%, 0%, 1%: mean 1%, std (ddof 1) 1%
    values = 100.0 * np.concatenate([[1.0], np.cumprod(1.0 + r)])
    bench = 3000.0 * np.concatenate([[1.0], np.cumprod(1.0 + b)])
    v = versus_benchmark("sh000300", values, bench, SESSIONS[0], SESSIONS[2])
    assert v.beta == pytest.approx(2.0)
    assert v.alpha == pytest.approx(0.001 * 243)
    assert v.information_ratio == pytest.approx(math.sqrt(243))
    assert v.tracking_error == pytest.approx(0.01 * math.sqrt(243))
    total, bench_total = 1.039 * 0.999 * 1.019 - 1, 1.019 * 0.999 * 1.009 - 1
    assert v.benchmark_return == pytest.approx(bench_total)
    assert v.excess_return == pytest.approx(total - bench_total)
    assert v.excess_cagr == pytest.approx((1 + total) ** (365.25 / 3) - (1 + bench_total) ** (365.25 / 3))


def test_yearly_returns_when_two_years_then_each_vs_previous_year_end() -> None:
    days = [date(2023, 12, 29), date(2024, 1, 2), date(2024, 12, 31)]
    years = yearly_returns(np.array([100.0, 110.0, 99.0, 121.0]), days)
    assert years == pytest.approx({2023: 0.10, 2024: 0.10})  # 110/100, 121/110


def test_benchmark_closes_when_a_session_is_missing_then_base_before_and_last_close_carried() -> None:
    bench = pd.Series(
        [9.0, 10.0, 12.0, 15.0], index=pd.to_datetime(["2023-12-28", "2023-12-29", "2024-01-02", "2024-01-05"])
    )
    closes = benchmark_closes(bench, SESSIONS[:4])  # 01-03 and 01-04 have no close: 01-02's stands
    assert closes.tolist() == [10.0, 12.0, 12.0, 12.0, 15.0]


def test_round_trips_when_partial_exits_then_fifo_pieces_fees_pro_rata_and_rest_open() -> None:
    fills = [
        _fill(2, Side.BUY, 300, "10.00", "5.00"),
        _fill(3, Side.BUY, 200, "11.00", "5.00"),
        _fill(5, Side.SELL, 400, "12.00", "9.00"),  # all of lot 1, half of lot 2
        _fill(9, Side.SELL, 50, "9.00", "5.00"),  # a quarter of lot 2; 50 shares stay open
    ]
    trips, unmatched = round_trips(fills, SESSIONS)
    got = [
        (t.status, t.quantity, t.entry_day.day, t.entry_price, t.exit_day and t.exit_day.day, t.exit_price,
         t.holding_days, t.holding_sessions, t.fees, t.pnl)
        for t in trips
    ]  # fmt: skip
    assert got == [
        # 300 × (12 − 10) − (5 + 9 × 300/400)
        ("closed", 300, 2, Decimal("10.00"), 5, Decimal("12.00"), 3, 3, Decimal("11.75"), Decimal("588.25")),
        # 100 × (12 − 11) − (5 × 100/200 + the sell's remaining 2.25)
        ("closed", 100, 3, Decimal("11.00"), 5, Decimal("12.00"), 2, 2, Decimal("4.75"), Decimal("95.25")),
        # 50 × (9 − 11) − (2.50 × 50/100 + 5)
        ("closed", 50, 3, Decimal("11.00"), 9, Decimal("9.00"), 6, 4, Decimal("6.25"), Decimal("-106.25")),
        # held to the last session, 01-10: its entry fees left, no P&L
        ("open", 50, 3, Decimal("11.00"), None, None, 7, 5, Decimal("1.25"), None),
    ]
    assert unmatched == 0
    assert sum(t.fees for t in trips) == Decimal("24.00")  # every fee in exactly one trip
    m = compute_metrics(_equity(100.0), fills, 100.0)
    assert m.round_trips == 3 and m.win_rate == pytest.approx(2 / 3)
    assert m.profit_factor == pytest.approx(683.5 / 106.25)
    assert [m.avg_win, m.avg_loss] == pytest.approx([341.75, -106.25])


def test_round_trips_when_fees_split_in_thirds_then_pieces_on_the_fen_and_sum_exact() -> None:
    fills = [_fill(2, Side.BUY, 300, "10.00", "5.00")] + [_fill(d, Side.SELL, 100, "10.00", "5.00") for d in (3, 4, 5)]
    trips, _ = round_trips(fills, SESSIONS)
    entry = [t.fees - Decimal("5.00") for t in trips]
    assert entry == [Decimal("1.67"), Decimal("1.66"), Decimal("1.67")]  # 5/3 → 1.67; 3.33/2 → 1.66 (half even)


def test_round_trips_when_sold_beyond_the_lots_then_excess_counted_not_matched() -> None:
    fills = [_fill(2, Side.BUY, 100, "10.00", "5.00"), _fill(3, Side.SELL, 300, "10.00", "5.00")]
    trips, unmatched = round_trips(fills, SESSIONS)
    assert [(t.status, t.quantity) for t in trips] == [("closed", 100)] and unmatched == 200


def test_by_symbol_when_two_stocks_then_trips_wins_pnl_and_open_shares() -> None:
    fills = [
        _fill(2, Side.BUY, 300, "10.00", "5.00"),
        _fill(3, Side.BUY, 200, "11.00", "5.00"),
        _fill(4, Side.BUY, 100, "5.00", "5.00", "000001.SZ"),
        _fill(5, Side.SELL, 400, "12.00", "9.00"),
        _fill(8, Side.SELL, 100, "5.00", "5.00", "000001.SZ"),
        _fill(9, Side.SELL, 50, "9.00", "5.00"),
    ]
    rows = [
        (s.symbol, s.round_trips, s.wins, s.win_rate, s.pnl, s.open_quantity)
        for s in by_symbol(round_trips(fills, SESSIONS)[0])
    ]
    assert rows == [
        ("000001.SZ", 1, 0, 0.0, Decimal("-10.00"), 0),
        ("600000.SH", 3, 2, pytest.approx(2 / 3), Decimal("577.25"), 50),  # 588.25 + 95.25 − 106.25
    ]


def test_analyse_when_run_on_the_market_then_round_trips_reconcile_with_the_account(market_dir: Path) -> None:
    result = simulate(prepare(BarStore(market_dir), date(2024, 7, 1), date(2024, 12, 31), TrendBreakout(),
                              BacktestConfig(warmup=120)))  # fmt: skip
    analysis = analyse(result, None)
    assert analysis.versus is None and analysis.unmatched_sells == 0
    closed = sum((t.pnl for t in analysis.round_trips if t.pnl is not None), Decimal("0"))
    still = [t for t in analysis.round_trips if t.pnl is None]
    cost = sum((t.entry_price * t.quantity + t.fees - t.income for t in still), Decimal("0"))
    last = result.equity[-1]
    held = Decimal(str(last.equity)) - Decimal(str(last.cash))
    # realised P&L + (value held − its cost and fees + its dividends) = the account's whole gain, to the fen
    assert closed + held - cost == Decimal(str(result.final_equity)) - result.initial_cash
    assert sum((t.fees for t in analysis.round_trips), Decimal("0")) == sum((t.fees for t in result.trades), Decimal(0))
    assert sum(s.round_trips for s in analysis.symbols) == result.metrics.round_trips > 10
    assert [y.year for y in analysis.yearly] == [2024] and analysis.yearly[0].strategy == pytest.approx(
        result.metrics.total_return
    )
