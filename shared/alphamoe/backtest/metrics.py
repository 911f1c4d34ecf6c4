"""Backtest metrics from the daily equity and the fills.

- total_return  final equity / initial cash − 1
- cagr          (1 + total_return) ^ (365.25 / calendar days from the day before the first session) − 1
- sharpe        mean / sample std of daily returns × √252 (risk-free rate 0; the first return is vs initial cash)
- max_drawdown  largest fall from a running peak of equity (initial cash included), as a positive fraction
- turnover      annual one-way turnover: traded notional / 2 / mean equity / years
- win_rate      share of round trips (flat → held → flat per stock) whose P&L net of all fees is > 0;
                None without a closed round trip
- exposure      mean of market value / equity over the sessions
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from alphamoe.backtest.result import EquityPoint, Metrics, TradeRecord
from alphamoe.types import Side

TRADING_DAYS = 252


def compute_metrics(equity: Sequence[EquityPoint], trades: Sequence[TradeRecord], initial_cash: float) -> Metrics:
    """Return the summary metrics of one run (module docstring)."""
    values = np.array([initial_cash, *(p.equity for p in equity)], dtype=np.float64)
    returns = values[1:] / values[:-1] - 1.0
    total = float(values[-1] / initial_cash - 1.0)
    days = max((equity[-1].day - equity[0].day).days + 1, 1) if equity else 1
    years = days / 365.25
    cagr = (1.0 + total) ** (1.0 / years) - 1.0 if total > -1.0 else -1.0
    std = float(returns.std(ddof=1)) if len(returns) > 1 else 0.0
    sharpe = float(returns.mean() / std * math.sqrt(TRADING_DAYS)) if std > 0 else 0.0
    drawdown = float(-(values / np.maximum.accumulate(values) - 1.0).min())
    notional = math.fsum(float(t.price * t.quantity) for t in trades)
    turnover = notional / 2.0 / float(values[1:].mean()) / years if len(values) > 1 else 0.0
    wins, trips = _round_trips(trades)
    return Metrics(
        total_return=total,
        cagr=cagr,
        sharpe=sharpe,
        max_drawdown=drawdown,
        turnover=turnover,
        win_rate=wins / trips if trips else None,
        exposure=float(np.mean([p.exposure for p in equity])) if equity else 0.0,
        round_trips=trips,
        fills=len(trades),
        fees=float(sum((t.fees for t in trades), Decimal("0"))),
    )


def _round_trips(trades: Sequence[TradeRecord]) -> tuple[int, int]:
    # per stock: P&L accumulates from the first buy while flat until the holding is back to zero
    held: dict[str, int] = defaultdict(int)
    pnl: dict[str, Decimal] = defaultdict(Decimal)
    wins = trips = 0
    for t in trades:
        value = t.price * t.quantity
        if t.side == Side.BUY:
            held[t.symbol] += t.quantity
            pnl[t.symbol] -= value + t.fees
            continue
        held[t.symbol] -= t.quantity
        pnl[t.symbol] += value - t.fees
        if held[t.symbol] == 0:
            trips += 1
            wins += pnl.pop(t.symbol) > 0
    return wins, trips
