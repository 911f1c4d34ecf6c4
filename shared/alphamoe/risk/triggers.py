"""When the kill switch trips by itself: a daily loss limit and a maximum drawdown from the equity peak."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from alphamoe.risk.config import RiskLimits
from alphamoe.risk.state import TradingState


@dataclass(frozen=True, slots=True)
class EquityMark:
    """The equity the switch last saw, the day it saw it, and the peak since the last resume."""

    last: Decimal
    peak: Decimal
    day: str  # ISO date


def breach(equity: Decimal, mark: EquityMark | None, limits: RiskLimits) -> tuple[TradingState, str] | None:
    """Return the state to switch to and why, when `equity` breaks the drawdown or daily loss limit."""
    if mark is None or equity <= 0:
        return None
    peak = max(mark.peak, equity)
    drawdown = (peak - equity) / peak if peak > 0 else Decimal(0)
    if drawdown >= Decimal(repr(limits.max_drawdown)):
        return limits.on_drawdown, (
            f"drawdown {drawdown:.4f} from equity peak {peak} to {equity} reached max_drawdown {limits.max_drawdown}"
        )
    loss = (mark.last - equity) / mark.last if mark.last > 0 else Decimal(0)
    if loss >= Decimal(repr(limits.daily_loss_limit)):
        return limits.on_daily_loss, (
            f"daily loss {loss:.4f} from {mark.last} ({mark.day}) to {equity} reached daily_loss_limit "
            f"{limits.daily_loss_limit}"
        )
    return None
