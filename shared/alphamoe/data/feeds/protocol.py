"""What every market data vendor gives the updater: the sessions it knows, and one session's whole market.

A `DayBatch` is in the store's units (BAR_COLUMNS: raw CNY prices with the exchange's previous close,
volume in shares, amount in CNY). `listing_index` is the updater's to number against the store: a source
sees one day and cannot know how many sessions a stock has traded, so it leaves -1.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from alphamoe.data.actions.model import CorporateAction
from alphamoe.market.bars import BAR_COLUMNS

UNNUMBERED = -1  # listing_index a source leaves for the updater to number


class DayBatch(BaseModel):
    """One session from one vendor: bars, the instruments it knows, corporate actions and benchmark indices."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    day: date
    bars: pd.DataFrame = Field(description="BAR_COLUMNS rows of this day; suspended stocks have none")
    instruments: pd.DataFrame | None = Field(None, description="symbol, name, board, industry, list/delist dates")
    actions: list[CorporateAction] = Field(default_factory=list, description="actions going ex on this day")
    index_bars: pd.DataFrame | None = Field(None, description="code + INDEX_COLUMNS of this day")
    suspended: list[str] = Field(default_factory=list, description="symbols the vendor lists as suspended")
    problems: list[str] = Field(
        default_factory=list, description="faults of the source itself (a truncated file): the day is quarantined"
    )
    notes: list[str] = Field(default_factory=list, description="what the source could not provide, and why")


class MarketSource(Protocol):
    """A vendor of daily bars: tushare, akshare, TDX day files, a folder of CSVs."""

    name: str

    def sessions(self, start: date, end: date) -> list[date]:
        """Return the sessions start … end the vendor knows (its trading calendar or its data's days)."""
        ...

    def fetch_day(self, day: date) -> DayBatch:
        """Return the whole market of `day`; raise DataError when the vendor has nothing for it."""
        ...


def empty_bars() -> pd.DataFrame:
    """Return a bar frame with BAR_COLUMNS and no row."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in BAR_COLUMNS})
