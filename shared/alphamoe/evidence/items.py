"""One dated piece of evidence: a fundamental datum or a news item, stamped with when it became public."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alphamoe.types import Symbol

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_TEXT = 800


class EvidenceKind(StrEnum):
    FUNDAMENTAL = "fundamental"
    NEWS = "news"


class EvidenceItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: EvidenceKind
    symbol: Symbol | None = Field(None, description="None: market-wide (macro, policy, sector)")
    published_at: datetime = Field(description="when it became public; naive = Asia/Shanghai")
    title: str = Field(min_length=1, max_length=300)
    text: str = Field("", description=f"cut to {MAX_TEXT} characters: a prompt is not a library")
    fields: dict[str, float | str] = Field(default_factory=dict, description="figures, e.g. pe_ttm, roe")
    source: str = ""

    @field_validator("published_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)

    @field_validator("text")
    @classmethod
    def _short(cls, value: str) -> str:
        return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"
