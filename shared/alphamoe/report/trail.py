"""What became of a routed signal past the router: its buy order or sizing's stated reason for none."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.report.day import DayReport, OrderRow, UnsizedRow
from alphamoe.types import Side


class AfterRouter(BaseModel):
    """What became of a routed signal past the router, from its run's day report."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    found: bool = Field(description="the run's day report is here")
    orders: list[OrderRow] = Field(default_factory=list, description="its buy: sizing's arithmetic, risk, status")
    unsized: list[UnsizedRow] = Field(default_factory=list, description="sizing's stated reason for no order")


def after_router(report: DayReport | None, symbol: str, signal_id: str) -> AfterRouter:
    """Return the signal's buy order (sizing's arithmetic, risk's decision, the broker's status) or sizing's
    stated reason for none, from the run's day report; `found` is False without that report."""
    if report is None:
        return AfterRouter(found=False)
    return AfterRouter(
        found=True,
        orders=[o for o in report.orders if o.symbol == symbol and o.side == Side.BUY],
        unsized=[u for u in report.unsized if u.symbol == symbol and u.signal_id == signal_id],
    )
