"""Pre-open market facts beyond the price reference: industry, delisting period, locked limit-up.

All three are known before D's open: the industry from the instrument table, the delisting period from
D's published short name (`天茂退`), and a one-price limit-up board from D−1's bar. Sizing and risk read
the same facts, so a cap or block in one is the cap or block in the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from alphamoe.data.names import is_delisting_name
from alphamoe.market.bars import BarStore
from alphamoe.market.reference import ReferenceData, pre_open_reference
from alphamoe.market.ticks import to_price


@dataclass(frozen=True, slots=True)
class MarketFacts:
    """What risk and sizing know of the day's stocks besides price bands and ST."""

    industries: Mapping[str, str] = field(default_factory=dict)
    delisting: frozenset[str] = frozenset()  # in the 退市整理期 on the day
    locked_limit_up: frozenset[str] = frozenset()  # closed D−1 on a one-price limit-up board

    def industry(self, symbol: str) -> str | None:
        return self.industries.get(symbol)


def locked_at_limit_up(open_: float, high: float, low: float, close: float, band_up: Decimal) -> bool:
    """Return True for a one-price board at limit-up (open = high = low = close = limit-up): no seller traded."""
    price = to_price(close)
    return bool(high == low == open_ == close) and price == band_up


class FactsSource:
    """Read MarketFacts of a day from a bar store, caching the instrument table and recent days."""

    def __init__(self, store: BarStore, reference: Callable[[date], Mapping[str, ReferenceData]] | None = None) -> None:
        self.store = store
        self.reference = reference or (lambda day: pre_open_reference(store, day))
        self._industries: dict[str, str] | None = None
        self.facts = lru_cache(maxsize=4)(self._facts)

    def industries(self) -> dict[str, str]:
        if self._industries is None:
            frame = self.store.instruments()
            self._industries = {
                str(s): str(i) for s, i in zip(frame["symbol"], frame["industry"], strict=True) if isinstance(i, str)
            }
        return self._industries

    def _facts(self, day: date) -> MarketFacts:
        today = self.store.day(day)
        delisting = frozenset(s for s, bar in today.items() if is_delisting_name(bar.name))
        earlier = [d for d in self.store.sessions() if d < day]
        locked: frozenset[str] = frozenset()
        if earlier:
            previous = earlier[-1]
            bands = self.reference(previous)
            locked = frozenset(
                s
                for s, bar in self.store.day(previous).items()
                if s in bands and locked_at_limit_up(bar.open, bar.high, bar.low, bar.close, bands[s].band.up)
            )
        return MarketFacts(industries=self.industries(), delisting=delisting, locked_limit_up=locked)
