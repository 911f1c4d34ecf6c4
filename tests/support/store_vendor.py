"""A stand-in market data vendor for the unattended season: the days of a full bar store, one session at a time.

`StoreVendor` speaks the `MarketSource` protocol (`data.feeds.protocol`) as a real vendor would: the sessions
it knows and each day's whole market (its bars, stocks numbered by the updater: `listing_index` −1). An
evening of `outage` raises a connection error the first `times` calls, as a vendor that is down does.

`season_stores` splits a store for a season: the target store holds the sessions before the season (the
evening updates append the rest from the vendor), with the full store's corporate actions, which are
announced before their ex dates and so known before the season's opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from alphamoe.data.actions.store import read_actions, write_actions
from alphamoe.data.feeds.protocol import UNNUMBERED, DayBatch
from alphamoe.errors import DataError
from alphamoe.market.bars import BarStore


@dataclass
class StoreVendor:
    """A vendor stand-in serving the days of the bar store at `root`; `outages` maps a day to failed calls."""

    root: Path
    outages: dict[date, int] = field(default_factory=dict)
    name: str = "stand-in"
    calls: list[date] = field(default_factory=list)
    failures: list[date] = field(default_factory=list)

    def sessions(self, start: date, end: date) -> list[date]:
        return [d for d in BarStore(self.root).sessions() if start <= d <= end]

    def fetch_day(self, day: date) -> DayBatch:
        self.calls.append(day)
        if self.outages.get(day, 0) > 0:
            self.outages[day] -= 1
            self.failures.append(day)
            raise ConnectionError(f"stand-in vendor unreachable on the evening of {day} (outage)")
        bars = BarStore(self.root).frame(day, day)
        if bars.empty:
            raise DataError(f"the stand-in vendor has no bars of {day}")
        return DayBatch(day=day, bars=bars.assign(listing_index=UNNUMBERED))


def season_stores(full: Path, target: Path, first: date) -> Path:
    """Write at `target` the store `full` holds before `first` (bars, instruments, corporate actions)."""
    store = BarStore(full)
    bars = store.frame(until=store.sessions()[store.sessions().index(first) - 1])
    BarStore.write(target, bars, store.instruments(), {"source": f"season before {first} of {full}"})
    actions = read_actions(store.objects)
    if actions:
        write_actions(BarStore(target).objects, actions)
    return target
