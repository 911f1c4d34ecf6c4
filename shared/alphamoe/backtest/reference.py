"""One session's pre-open reference as a lazy mapping: built per stock only when sizing or risk reads it.

The decision of a session may look at the day's candidates and every holding, so those are the keys (a
stock without a bar on D has none, as live). Sizing reads the reference of a holding only when it
sells it, and risk only for the orders it checks, so most holdings never need a `ReferenceData`.
Membership is what `size_batch` and the risk rules test first; a value is built on first access.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date

import numpy as np

from alphamoe.backtest.market import BacktestMarket, fen_price
from alphamoe.market.bands import NO_LIMIT_FEN
from alphamoe.market.limits import NO_LIMIT_UP, PriceBand
from alphamoe.market.reference import ReferenceData


class SessionReference(Mapping[str, ReferenceData]):
    """D's `ReferenceData` of the stocks in `columns` that trade on row `row`, each built on first access."""

    def __init__(self, market: BacktestMarket, day: date, row: int, columns: Iterable[tuple[str, int]]) -> None:
        asked = list(columns)
        traded = market.traded[row, np.array([i for _, i in asked], dtype=np.int64)].tolist()
        self._market, self._day, self._row = market, day, row
        self._cols = {s: i for (s, i), ok in zip(asked, traded, strict=True) if ok}
        self._built: dict[str, ReferenceData] = {}

    def __getitem__(self, symbol: str) -> ReferenceData:
        ref = self._built.get(symbol)
        if ref is None:
            ref = self._built[symbol] = self._build(symbol, self._cols[symbol])
        return ref

    def get(self, symbol: str, default: ReferenceData | None = None) -> ReferenceData | None:  # type: ignore[override]
        return self[symbol] if symbol in self._cols else default

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._cols

    def __iter__(self) -> Iterator[str]:
        return iter(self._cols)

    def __len__(self) -> int:
        return len(self._cols)

    def _build(self, symbol: str, i: int) -> ReferenceData:
        m, row = self._market, self._row
        up = int(m.up[row, i])
        return ReferenceData(
            symbol=symbol,
            day=self._day,
            prev_close=fen_price(int(m.prev_close[row, i])),
            st=bool(m.panel.st[row, i]),
            listing_index=int(m.panel.listing_index[row, i]),
            band=PriceBand(fen_price(int(m.down[row, i])), NO_LIMIT_UP if up >= NO_LIMIT_FEN else fen_price(up)),
        )
