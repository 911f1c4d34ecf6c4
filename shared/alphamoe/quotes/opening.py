"""Today's pre-open facts, before the store has today's bar: the store seen with D's opening rows added.

Decisions of D read the panel up to D−1 and D's pre-open facts (previous close, ST, listing day, name).
The store has those only once D's bar is in; during D's session they come from D−1's bar (name, ST, the
listing day + 1) and the quote source's previous close (`lastClose`, the exchange's ex-rights figure; else
D−1's close). `OpeningStore` is the bar store with those rows dated D, prices unknown (NaN), volume 0, so
scan, size, risk and the paper broker run unchanged; nothing is written. Limits: a stock suspended on D−1
is not offered on D, and a name or ST change published on D's morning is not seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

import pyarrow as pa

from alphamoe.errors import DataError
from alphamoe.market.bars import BAR_SCHEMA, BarStore


class OpeningStore(BarStore):
    """`store` plus `day`'s opening rows (see the module docstring); reads of other days are the store's.

    Without a day it reads as the store; `open` (re)targets it, so a long-running process (a cluster's
    function) keeps one reader whose opening day follows the sessions, and `refresh` drops the opening rows
    once the store holds the day's own bars.
    """

    def __init__(
        self, store: BarStore, day: date | None = None, previous_closes: Mapping[str, Decimal] | None = None
    ) -> None:
        super().__init__(store.objects)
        self.day_opened: date | None = None
        self.previous: date | None = None
        self._opening: pa.Table | None = None
        if day is not None:
            self.open(day, previous_closes or {})

    def open(self, day: date, previous_closes: Mapping[str, Decimal]) -> None:
        """Read `day` (not in the store) as its opening rows: D−1's facts and these previous closes."""
        sessions = super().sessions()
        if day in sessions:
            raise DataError(f"the bar store already has {day}: its own bars are the day's pre-open facts")
        earlier = [d for d in sessions if d < day]
        if not earlier:
            raise DataError(f"no history before {day} in {self.root}: nothing to decide on")
        previous = earlier[-1]
        bars = sorted(super().day(previous).items())
        rows = {
            "date": [day] * len(bars),
            "symbol": [s for s, _ in bars],
            "name": [b.name for _, b in bars],
            **{c: [float("nan")] * len(bars) for c in ("open", "high", "low", "close")},
            "prev_close": [float(previous_closes.get(s, b.close)) for s, b in bars],
            "volume": [0.0] * len(bars),
            "amount": [0.0] * len(bars),
            "st": [b.st for _, b in bars],
            "listing_index": [b.listing_index + 1 for _, b in bars],
        }
        self.day_opened, self.previous = day, previous
        self._opening = pa.table(rows, schema=BAR_SCHEMA)

    def refresh(self) -> bool:
        """Re-read the store if it changed (`BarStore.refresh`); the opening day goes once the store has it."""
        changed = super().refresh()
        if changed and self.day_opened is not None and self.day_opened in super().sessions():
            self.day_opened, self.previous, self._opening = None, None, None
        return changed

    def sessions(self) -> list[date]:
        sessions = super().sessions()
        return sessions if self.day_opened is None else [*sessions, self.day_opened]

    def _read_groups(self, years: Iterable[int], start: date, until: date, columns: list[str]) -> pa.Table:
        years = list(years)
        base = super()._read_groups(years, start, until, columns)
        day, opening = self.day_opened, self._opening
        if day is None or opening is None or not start <= day <= until or day.year not in years:
            return base
        extra = opening.select(base.column_names).cast(base.schema)
        return pa.concat_tables([base, extra]).unify_dictionaries()
