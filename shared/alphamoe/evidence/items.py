"""One dated piece of evidence: a fundamental datum or a news item, stamped with when it became public.

Every item has a stable `id`: a hash of its source, kind, symbol, publication time and title. The same
announcement fetched twice gets the same id, so the store keeps it once, and a model's answer can cite it.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alphamoe.types import Symbol

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_TEXT = 800


class EvidenceKind(StrEnum):
    FUNDAMENTAL = "fundamental"
    NEWS = "news"


def evidence_id(source: str, kind: str, symbol: str | None, published_at: datetime, title: str) -> str:
    """Return the stable id of an item: `ev-` and 16 hex digits of the SHA-256 of what identifies it."""
    key = "|".join((source, kind, symbol or "-", published_at.astimezone(SHANGHAI).isoformat(), title))
    return "ev-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)


class EvidenceItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field("", description="stable id, always recomputed from source, kind, symbol, time and title")
    kind: EvidenceKind
    symbol: Symbol | None = Field(None, description="None: market-wide (macro, policy, sector)")
    published_at: datetime = Field(description="when it became public; naive = Asia/Shanghai")
    title: str = Field(min_length=1, max_length=300)
    text: str = Field("", description=f"cut to {MAX_TEXT} characters: a prompt is not a library")
    fields: dict[str, float | str] = Field(default_factory=dict, description="figures, e.g. pe_ttm, roe")
    source: str = ""

    @field_validator("published_at")
    @classmethod
    def _shanghai_when_naive(cls, value: datetime) -> datetime:
        return _aware(value)

    @model_validator(mode="before")
    @classmethod
    def _stable_id(cls, data: Any) -> Any:
        # the id is derived, never trusted from a file: an edited title or time is a different item
        if not isinstance(data, dict):
            return data
        published = data.get("published_at")
        if isinstance(published, str):
            published = datetime.fromisoformat(published)
        if not isinstance(published, datetime) or not data.get("title") or "kind" not in data:
            return data  # field validation reports what is missing
        kind = data["kind"].value if isinstance(data["kind"], EvidenceKind) else str(data["kind"])
        ident = evidence_id(str(data.get("source", "")), kind, data.get("symbol"), _aware(published), data["title"])
        return {**data, "id": ident}

    @field_validator("text")
    @classmethod
    def _short(cls, value: str) -> str:
        return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def indicator_item(
    symbol: str,
    published: datetime,
    figures: dict[str, float | str],
    values: Iterable[tuple[str, str, Any]],
    *,
    provider: str,
    api: str,
    skipped: Counter[str] | None,
) -> EvidenceItem:
    """One report period's financial indicators as a fundamental item, alike from every provider.

    `figures` holds end_date (YYYYMMDD) and ann_date; `values` are (the provider's column, our name, value):
    a finite number is kept to 6 places, a missing one (None, NaN) left out, anything else left out and
    counted in `skipped` (the row is kept without it).
    """
    fields = dict(figures)
    for column, name, value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            fields[name] = round(float(value), 6)
        elif skipped is not None:
            skipped[f"{api}: {column} is not a number (row kept without it)"] += 1
    return EvidenceItem(
        kind=EvidenceKind.FUNDAMENTAL,
        symbol=symbol,
        published_at=published,
        title=f"{symbol} financial indicators for the period ending {fields['end_date']}",
        fields=fields,
        source=f"{provider} {api}",
    )


class FetchedDay(BaseModel):
    """What a vendor gave for one day: the items, and the rows it could not use, counted by reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    items: tuple[EvidenceItem, ...]
    skipped: dict[str, int] = Field(default_factory=dict, description="reason naming endpoint and field → rows")
