"""The Today view: the part of an end-of-day report a person reads first, small enough to open at once.

A whole market signalling is a 7 MB report (5,500 verdicts, each expert's reason, every routed row); parsing
and validating it takes about a second. The report writer stores this view beside it, so the console's
Today page reads a few hundred rows instead — and says how many it left out.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from alphamoe.report.day import FillRow, OrderRow, UnsizedRow
from alphamoe.report.endofday import EndOfDayReport, Performance, RejectionRow, StageLatency, VerdictRow

TODAY_ROWS = 300
"""Rows of each list the view keeps (a whole market signalling is 5,500): the page's "N more" counts the rest."""


class TodayView(BaseModel):
    """One run's headline, its first rows of each list, and each list's full length."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    trading_day: date
    run_id: str
    performance: Performance
    latency: list[StageLatency]
    universe_size: int
    excluded: dict[str, int]
    cash: Decimal
    equity: Decimal
    verdicts: list[VerdictRow]
    verdicts_total: int
    orders: list[OrderRow]
    orders_total: int
    rejections: list[RejectionRow]
    rejections_total: int
    unsized: list[UnsizedRow]
    unsized_total: int
    fills: list[FillRow]
    fills_total: int

    @property
    def complete(self) -> bool:
        """True when no list was cut short."""
        return all(
            len(shown) == total
            for shown, total in (
                (self.verdicts, self.verdicts_total),
                (self.orders, self.orders_total),
                (self.rejections, self.rejections_total),
                (self.unsized, self.unsized_total),
                (self.fills, self.fills_total),
            )
        )


def today_view(report: EndOfDayReport, rows: int | None = TODAY_ROWS) -> TodayView:
    """Return the report's Today view keeping the first `rows` of each list (every row when None)."""
    day = report.day
    return TodayView(
        trading_day=report.trading_day,
        run_id=report.run_id,
        performance=report.performance,
        latency=report.latency,
        universe_size=day.universe_size,
        excluded=day.excluded,
        cash=day.cash,
        equity=day.equity,
        verdicts=report.verdicts[:rows],
        verdicts_total=len(report.verdicts),
        orders=day.orders[:rows],
        orders_total=len(day.orders),
        rejections=report.rejections[:rows],
        rejections_total=len(report.rejections),
        unsized=day.unsized[:rows],
        unsized_total=len(day.unsized),
        fills=day.fills[:rows],
        fills_total=len(day.fills),
    )
