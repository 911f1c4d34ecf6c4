"""The trading state the kill switch sets: how much of the risk engine's gate is open, and why."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TradingState(StrEnum):
    """ACTIVE trades normally; REDUCING passes only exposure-reducing sells; HALTED passes no new order.

    Under HALTED only cancels of working orders go on (they are not risk's to approve).
    """

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


@dataclass(frozen=True, slots=True)
class TradingStatus:
    """A trading state with the reason it was set and when (ISO timestamp, empty when never set)."""

    state: TradingState = TradingState.ACTIVE
    reason: str = ""
    since: str = ""

    def describe(self) -> str:
        """Return `STATE (reason, since …)`, the text every rejection carries."""
        if not self.reason:
            return self.state.value
        return f"{self.state.value} ({self.reason}{', since ' + self.since if self.since else ''})"


def stricter(a: TradingStatus, b: TradingStatus) -> TradingStatus:
    """Return the more restrictive of two statuses (the first on a tie): a floor can only close the gate."""
    return b if b.state.severity > a.state.severity else a
