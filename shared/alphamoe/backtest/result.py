"""What a backtest produces: every fill, the daily equity, the metrics; one JSON document."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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
    order_id: str
    why: str = Field("", description="the router's summary behind a buy; the exit signal or the cap behind a sell")


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
    max_drawdown: float
    turnover: float
    win_rate: float | None
    exposure: float
    round_trips: int
    fills: int
    fees: float


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
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per phase")
    notes: list[str] = Field(default_factory=list)
