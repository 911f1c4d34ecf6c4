"""The trading state the kill switch sets: how much of the risk engine's gate is open."""

from __future__ import annotations

from enum import StrEnum


class TradingState(StrEnum):
    """ACTIVE trades normally; REDUCING rejects buys; HALTED lets only exposure-reducing sells through."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"
