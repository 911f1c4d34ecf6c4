"""The one alert record every source produces and every channel renders."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class AlertKind(StrEnum):
    """What happened; a channel's `kinds` setting picks among these."""

    FILL = "fill"
    REJECTION = "rejection"
    TRADING_STATE = "trading_state"
    DEAD_LETTER = "dead_letter"
    DATA = "data"
    FUNCTION = "function"
    END_OF_DAY = "end_of_day"
    TEST = "test"


class Severity(StrEnum):
    """INFO waits for its batch window; WARNING and CRITICAL go out at the next token of the rate limit."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class Alert(BaseModel):
    """One thing to tell the operator: a title line and a few detail lines, already in words."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: AlertKind
    severity: Severity
    day: date | None = Field(None, description="the trading day it concerns, when it concerns one")
    title: str = Field(min_length=1, max_length=300)
    lines: tuple[str, ...] = ()
    account: str | None = None
    at: AwareDatetime = Field(description="when it happened (the stream entry's time, not when it was sent)")
