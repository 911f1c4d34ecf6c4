"""What a backtest produces: every fill, the daily equity, the metrics; one JSON document."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.data.actions.model import CorporateAction
from alphamoe.types import Side


class TradeRecord(BaseModel):
    """One fill: what was traded, when, how many shares, at what price and at what cost."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    symbol: str
    side: Side
    day: date
    quantity: int = Field(gt=0)
    price: Decimal = Field(description="CNY, on the tick")
    fees: Decimal = Field(description="commission + stamp duty + transfer fee, CNY")
    tax: Decimal = Field(
        Decimal(0), description="the dividend tax (差别化红利税) a sale collects on its lots' dividends, CNY"
    )
    order_id: str
    why: str = Field("", description="the router's summary behind a buy; the exit signal or the cap behind a sell")


class UnfilledOrder(BaseModel):
    """One approved order the market did not fill in full: what was asked, what filled, and why not."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    day: date
    symbol: str
    side: Side
    quantity: int = Field(gt=0, description="shares ordered")
    filled: int = Field(ge=0, description="shares filled (> 0: a partial fill, short by the volume cap)")
    limit_price: Decimal = Field(description="CNY")
    reason: str = Field(description="`backtest.analysis.UNFILLED_MEANINGS`' name")


class EquityPoint(BaseModel):
    """The account at one session's close."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    day: date
    equity: float
    cash: float
    exposure: float = Field(description="market value / equity")


class Metrics(BaseModel):
    """Summary figures; how each is computed is in `backtest.metrics`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    total_return: float
    cagr: float
    sharpe: float
    sortino: float | None = Field(description="None without a losing day")
    calmar: float | None = Field(description="None without a drawdown")
    max_drawdown: float
    turnover: float
    win_rate: float | None = Field(description="over closed round trips; None without one")
    profit_factor: float | None = Field(description="None without a losing round trip")
    avg_win: float | None = Field(description="mean P&L of a winning round trip, CNY")
    avg_loss: float | None = Field(description="mean P&L of a losing round trip, CNY (negative)")
    exposure: float
    round_trips: int = Field(description="closed round trips (FIFO lots matched to sells)")
    fills: int
    fees: float


class RoundTrip(BaseModel):
    """Shares bought in one fill and sold in one later fill (FIFO); an open one is still held at the end."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    symbol: str
    status: Literal["closed", "open"]
    quantity: int = Field(gt=0)
    entry_day: date
    entry_price: Decimal
    exit_day: date | None = Field(description="None while open")
    exit_price: Decimal | None = Field(description="None while open")
    holding_days: int = Field(description="calendar days from entry to exit (to the last session while open)")
    holding_sessions: int = Field(description="sessions from entry to exit (to the last session while open)")
    fees: Decimal = Field(description="the entry fill's and exit fill's fees, pro rata by quantity, CNY")
    pnl: Decimal | None = Field(
        description="(exit − entry price) × quantity − fees + dividends, CNY; None while open (an entry price "
        "carried over a corporate action is the cost per share after it)"
    )
    income: Decimal = Field(
        Decimal(0),
        description="dividends less tax these shares received (withheld at the credit, or collected at the "
        "sale), CNY (in `pnl` once closed)",
    )


class SymbolSummary(BaseModel):
    """One stock's closed round trips."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    symbol: str
    round_trips: int
    wins: int
    win_rate: float | None
    pnl: Decimal = Field(description="net of fees, closed round trips only, CNY")
    open_quantity: int = Field(description="shares still held at the end")


class YearReturn(BaseModel):
    """One calendar year: the strategy's return, the benchmark's and the difference."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    year: int
    strategy: float
    benchmark: float | None
    excess: float | None


class VersusBenchmark(BaseModel):
    """The strategy against its benchmark, from daily returns; how each is computed is in `backtest.metrics`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    benchmark: str
    benchmark_return: float
    benchmark_cagr: float
    excess_return: float = Field(description="total return − the benchmark's")
    excess_cagr: float = Field(description="CAGR − the benchmark's")
    alpha: float = Field(description="annualised OLS intercept of daily returns on the benchmark's")
    beta: float
    information_ratio: float
    tracking_error: float


class Analysis(BaseModel):
    """The trader's view of a run: against the benchmark, by year, by round trip, by stock."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    versus: VersusBenchmark | None
    yearly: list[YearReturn]
    round_trips: list[RoundTrip]
    symbols: list[SymbolSummary]
    unmatched_sells: int = Field(0, description="shares sold beyond the bought lots (not in any round trip)")


class BacktestResult(BaseModel):
    """A whole backtest: inputs that identify it, metrics, every fill and the equity curve."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    engine: str
    strategy: str
    params: dict[str, Any]
    start: date
    end: date
    sessions: int
    universe: int
    initial_cash: Decimal
    final_equity: float
    metrics: Metrics
    trades: list[TradeRecord]
    equity: list[EquityPoint]
    route: str = Field("none", description="who judged the scan's picks: none (quant only) or symbolic experts")
    verdicts: dict[str, int] = Field(default_factory=dict, description="the scan's picks by the router's verdict")
    rejected: dict[str, int] = Field(default_factory=dict, description="risk violations by rule code")
    unfilled: dict[str, int] = Field(default_factory=dict, description="approved orders the market did not fill")
    unfilled_orders: list[UnfilledOrder] = Field(
        default_factory=list,
        description="each approved order not filled in full, in order (partial fills too, which `unfilled` "
        "does not count); Backtrader's runs count by reason only",
    )
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per phase")
    notes: list[str] = Field(default_factory=list)
    analysis: Analysis | None = Field(None, description="added by `backtest.analysis.analysed`")
    actions: list[CorporateAction] = Field(
        default_factory=list, description="corporate actions of the traded stocks over the run (round trips)"
    )
