"""Backtest metrics from the daily equity, the fills and the benchmark, each defined here once.

Daily returns: r_t = E_t / E_{t−1} − 1 over the n sessions, with E_{−1} = initial cash; the benchmark's
b_t = B_t / B_{t−1} − 1 with B_{−1} its close before the first session (`backtest.analysis`). Annualising
uses N = `SESSIONS_PER_YEAR` sessions; the risk-free rate is 0 throughout.

- total_return       E_last / initial cash − 1
- cagr               (1 + total_return) ^ (365.25 / D) − 1, D = calendar days from the day before the first
                     session to the last
- sharpe             mean(r) / std(r, ddof=1) × √N
- sortino            mean(r) / DD × √N, downside deviation DD = √(Σ min(r_t, 0)² / n) (target 0, all n days);
                     None without a losing day
- max_drawdown       largest fall from a running peak of equity (initial cash included), a positive fraction
- calmar             cagr / max_drawdown; None without a drawdown
- turnover           annual one-way turnover: traded notional / 2 / mean equity / years
- exposure           mean of market value / equity over the sessions
- round trips        each sell matched FIFO against the stock's earlier buy fills, one trip per (buy fill, sell
                     fill) pair, so a partial exit closes part of a lot; each fill's fees split pro rata by
                     quantity (to the fen, the last piece taking the remainder, so the pieces sum to the fill's
                     fees); P&L = (exit − entry price) × quantity − fees + dividends. Lots still held at the end
                     are open. A corporate action carries the lots held on its ex date (`market.corporate.carry`
                     on the stock's holding, new shares spread over its lots by quantity, the last taking the
                     rest): the same cost over more shares (entry price per share divided down), and the net
                     cash split pro rata as dividends, so an ex date is no loss; the dividend tax a sell collects
                     (`TradeRecord.tax`) is split pro rata by quantity like its fees and taken from the dividends.
- win_rate           closed round trips with P&L > 0 / closed round trips; None without one
- profit_factor      Σ P&L of winners / |Σ P&L of losers|; None without a loser
- avg_win, avg_loss  mean P&L of winners, of losers (negative), CNY
- beta, alpha        OLS of r on b: beta = Σ(b − b̄)(r − r̄) / Σ(b − b̄)², alpha = (r̄ − beta·b̄) × N
- information_ratio  mean(r − b) / std(r − b, ddof=1) × √N; tracking_error = std(r − b, ddof=1) × √N
- excess_return      total_return − the benchmark's; excess_cagr = cagr − the benchmark's (same D)
- yearly returns     last equity of the year / last equity of the year before (initial cash first) − 1
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import numpy.typing as npt

from alphamoe.backtest.result import EquityPoint, Metrics, RoundTrip, TradeRecord, VersusBenchmark
from alphamoe.backtest.trusted import trusted
from alphamoe.data.actions.model import CorporateAction
from alphamoe.market.corporate import carry
from alphamoe.types import Side

SESSIONS_PER_YEAR = 243
"""Mean XSHG sessions a year over 2005–2024 (238 … 246); the annualising N."""

FloatArray = npt.NDArray[np.float64]
_FEN = Decimal("0.01")
_PRICE = Decimal("0.0001")  # an entry price carried over a corporate action is a cost per share, not a tick


def compute_metrics(
    equity: Sequence[EquityPoint],
    trades: Sequence[TradeRecord],
    initial_cash: float,
    actions: Sequence[CorporateAction] = (),
) -> Metrics:
    """Return the summary metrics of one run (module docstring); `actions`: the corporate actions of its stocks."""
    values = np.array([initial_cash, *(p.equity for p in equity)], dtype=np.float64)
    returns = values[1:] / values[:-1] - 1.0
    total = float(values[-1] / initial_cash - 1.0)
    years = _years(equity[0].day, equity[-1].day) if equity else 1 / 365.25
    growth = cagr(total, years)
    drawdown = max_drawdown(values)
    notional = math.fsum(float(t.price * t.quantity) for t in trades)
    turnover = notional / 2.0 / float(values[1:].mean()) / years if len(values) > 1 else 0.0
    closed = closed_pnl(trades, actions)
    wins = [float(p) for p in closed if p > 0]
    losses = [float(p) for p in closed if p < 0]
    return Metrics(
        total_return=total,
        cagr=growth,
        sharpe=sharpe(returns),
        sortino=sortino(returns),
        calmar=growth / drawdown if drawdown > 0 else None,
        max_drawdown=drawdown,
        turnover=turnover,
        win_rate=len(wins) / len(closed) if closed else None,
        profit_factor=math.fsum(wins) / -math.fsum(losses) if losses else None,
        avg_win=math.fsum(wins) / len(wins) if wins else None,
        avg_loss=math.fsum(losses) / len(losses) if losses else None,
        exposure=float(np.mean([p.exposure for p in equity])) if equity else 0.0,
        round_trips=len(closed),
        fills=len(trades),
        fees=float(sum((t.fees for t in trades), Decimal("0"))),
    )


def _years(first: date, last: date) -> float:
    return ((last - first).days + 1) / 365.25


def cagr(total: float, years: float) -> float:
    """Return the compound annual growth of a total return over `years`."""
    return (1.0 + total) ** (1.0 / years) - 1.0 if total > -1.0 else -1.0


def sharpe(returns: FloatArray) -> float:
    std = float(returns.std(ddof=1)) if len(returns) > 1 else 0.0
    return float(returns.mean() / std * math.sqrt(SESSIONS_PER_YEAR)) if std > 0 else 0.0


def sortino(returns: FloatArray) -> float | None:
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2))) if len(returns) else 0.0
    return float(returns.mean() / downside * math.sqrt(SESSIONS_PER_YEAR)) if downside > 0 else None


def max_drawdown(values: FloatArray) -> float:
    return float(-(values / np.maximum.accumulate(values) - 1.0).min())


def versus_benchmark(name: str, values: FloatArray, bench: FloatArray, first: date, last: date) -> VersusBenchmark:
    """Return the strategy against its benchmark; `values` and `bench` each start with their base (docstring)."""
    r, b = values[1:] / values[:-1] - 1.0, bench[1:] / bench[:-1] - 1.0
    years = _years(first, last)
    total, bench_total = float(values[-1] / values[0] - 1.0), float(bench[-1] / bench[0] - 1.0)
    spread = float(((b - b.mean()) ** 2).sum())
    beta = float(((b - b.mean()) * (r - r.mean())).sum() / spread) if spread > 0 else 0.0
    active = r - b
    te = float(active.std(ddof=1)) if len(active) > 1 else 0.0
    n = SESSIONS_PER_YEAR
    return VersusBenchmark(
        benchmark=name,
        benchmark_return=bench_total,
        benchmark_cagr=cagr(bench_total, years),
        excess_return=total - bench_total,
        excess_cagr=cagr(total, years) - cagr(bench_total, years),
        alpha=float(r.mean() - beta * b.mean()) * n,
        beta=beta,
        information_ratio=float(active.mean() / te * math.sqrt(n)) if te > 0 else 0.0,
        tracking_error=te * math.sqrt(n),
    )


def yearly_returns(values: FloatArray, days: Sequence[date]) -> dict[int, float]:
    """Return each calendar year's return; `values` starts with the base before `days[0]` (docstring)."""
    ends: dict[int, float] = {}
    previous = float(values[0])
    out: dict[int, float] = {}
    for day, value in zip(days, values[1:].tolist(), strict=True):
        ends[day.year] = value
    for year, end in ends.items():
        out[year] = end / previous - 1.0
        previous = end
    return out


@dataclass
class _Lot:
    day: date
    price: Decimal
    quantity: int  # still held
    fees: Decimal  # not yet allocated to a round trip
    income: Decimal = Decimal(0)  # dividends net of tax not yet allocated to a round trip


def _share(fees: Decimal, quantity: int, of: int) -> Decimal:
    # fees × quantity / of to the fen; the whole when it takes all that is left, so the pieces sum exactly
    return fees if quantity == of else (fees * quantity / of).quantize(_FEN, ROUND_HALF_EVEN)


def _carry_lots(symbol: str, queue: deque[_Lot], actions: Sequence[CorporateAction], day: date) -> None:
    # the lots of one stock over the actions of one ex date (module docstring)
    total = sum(lot.quantity for lot in queue)
    if not total:
        return
    got = carry(symbol, total, Decimal(0), actions, opened=queue[0].day, last_price=Decimal(0), day=day)
    shares, cash = got.quantity, got.cash
    for k, lot in enumerate(queue):
        last = k == len(queue) - 1
        new = shares if last else lot.quantity * got.quantity // total
        part = cash if last else _share(got.cash, lot.quantity, total)
        if new:
            lot.price = lot.price * lot.quantity / new
        lot.quantity, lot.income, shares, cash = new, lot.income + part, shares - new, cash - part


def round_trips(
    trades: Sequence[TradeRecord], sessions: Sequence[date], actions: Sequence[CorporateAction] = ()
) -> tuple[list[RoundTrip], int]:
    """Return the round trips (module docstring), closed ones in exit order then the open ones, and the shares
    sold beyond every bought lot (shares no fill bought; in no round trip). `actions` carry the lots over
    their ex dates (module docstring).

    `trades` in fill order; `sessions` are the run's sessions, sorted, for the holding sessions. Each trip
    is built from the validated fills without validating again (`backtest.trusted`): a run has many.
    """
    book = _Lots(sorted(actions, key=lambda a: a.ex_date))
    trips = [
        trusted(
            RoundTrip,
            symbol=t.symbol,
            status="closed",
            quantity=take,
            entry_day=lot.day,
            entry_price=lot.price.quantize(_PRICE),
            exit_day=t.day,
            exit_price=t.price,
            holding_days=(t.day - lot.day).days,
            holding_sessions=_sessions(sessions, lot.day, t.day),
            fees=cost,
            pnl=_pnl(t, lot, take, cost, income),
            income=income,
        )
        for t, lot, take, cost, income in book.closes(trades)
    ]
    last = sessions[-1] if sessions else None
    if last is not None:  # the lots still held are carried to the end
        _carry_until(book.pending, book.k, book.lots, last)
    for symbol in sorted(book.lots):
        for lot in book.lots[symbol]:
            end = last if last is not None and last >= lot.day else lot.day
            trips.append(
                trusted(
                    RoundTrip,
                    symbol=symbol,
                    status="open",
                    quantity=lot.quantity,
                    entry_day=lot.day,
                    entry_price=lot.price.quantize(_PRICE),
                    exit_day=None,
                    exit_price=None,
                    holding_days=(end - lot.day).days,
                    holding_sessions=_sessions(sessions, lot.day, end),
                    fees=lot.fees,
                    pnl=None,
                    income=lot.income,
                )
            )
    return trips, book.unmatched


def closed_pnl(trades: Sequence[TradeRecord], actions: Sequence[CorporateAction] = ()) -> list[Decimal]:
    """Return the P&L of each closed round trip, in `round_trips`' order: what the metrics read of them,
    without building the trips."""
    book = _Lots(sorted(actions, key=lambda a: a.ex_date))
    return [_pnl(t, lot, take, cost, income) for t, lot, take, cost, income in book.closes(trades)]


def _pnl(t: TradeRecord, lot: _Lot, take: int, cost: Decimal, income: Decimal) -> Decimal:
    return ((t.price - lot.price) * take - cost + income).quantize(_FEN, ROUND_HALF_EVEN)


@dataclass
class _Lots:
    """The FIFO lots of a run's fills, each stock's carried over the pending actions' ex dates as fills come."""

    pending: list[CorporateAction]  # by ex date
    lots: dict[str, deque[_Lot]] = field(default_factory=lambda: defaultdict(deque))
    k: int = 0  # pending[k:] not yet carried
    unmatched: int = 0  # shares sold beyond every bought lot

    def closes(self, trades: Sequence[TradeRecord]) -> Iterator[tuple[TradeRecord, _Lot, int, Decimal, Decimal]]:
        """Yield each closed piece (the sell, its lot, shares, entry and exit fees, income net of the tax the
        sale collected), matching the sells against the lots (module docstring)."""
        for t in trades:
            self.k = _carry_until(self.pending, self.k, self.lots, t.day)
            if t.side == Side.BUY:
                self.lots[t.symbol].append(_Lot(t.day, t.price, t.quantity, t.fees))
                continue
            left, fees, tax, queue = t.quantity, t.fees, t.tax, self.lots[t.symbol]
            while left and queue:
                lot = queue[0]
                take = min(left, lot.quantity)
                entry_fees, exit_fees = _share(lot.fees, take, lot.quantity), _share(fees, take, left)
                income, exit_tax = _share(lot.income, take, lot.quantity), _share(tax, take, left)
                lot.quantity, lot.fees, lot.income, left, fees, tax = (
                    lot.quantity - take,
                    lot.fees - entry_fees,
                    lot.income - income,
                    left - take,
                    fees - exit_fees,
                    tax - exit_tax,
                )
                income -= exit_tax  # the dividend tax the sale collected (`market.dividend_tax`)
                if not lot.quantity:
                    queue.popleft()
                yield t, lot, take, entry_fees + exit_fees, income
            self.unmatched += left


def _carry_until(pending: Sequence[CorporateAction], k: int, lots: dict[str, deque[_Lot]], day: date) -> int:
    # carry the lots over pending[k:]'s ex dates up to `day`, one ex date at a time; return the next index
    while k < len(pending) and pending[k].ex_date <= day:
        ex_date = pending[k].ex_date
        today = [a for a in pending[k:] if a.ex_date == ex_date]
        k += len(today)
        for symbol in sorted({a.symbol for a in today} & lots.keys()):
            _carry_lots(symbol, lots[symbol], today, ex_date)
    return k


def _sessions(sessions: Sequence[date], entry: date, exit_: date) -> int:
    return bisect_left(sessions, exit_) - bisect_left(sessions, entry)
