"""Positions from the trade query: a client's position list can stop refreshing while trades keep coming.

QMT and MiniQMT fill the position list from their quote link; when that link drops, positions freeze while
the order and trade queries stay current (xtquant_big_convert #309). An adapter takes a baseline at connect
(the position list and the trade ids it already includes, queried together). A position the query still
shows at its baseline quantity while trades since have moved it is frozen: the baseline moved by those trades
is reported instead (and logged). Any other difference is the query's to report and reconciliation's to judge
(shares from nowhere stay a break).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal

from alphamoe.broker.protocol import Fill
from alphamoe.market.fees import FEN
from alphamoe.portfolio import Position
from alphamoe.types import Side

log = logging.getLogger("alphamoe.broker.positions")


class PositionTracker:
    """The baseline of one session and the positions it implies."""

    def __init__(self) -> None:
        self._base: dict[str, Position] = {}
        self._counted: set[str] = set()

    def rebase(self, positions: Iterable[Position], fills: Iterable[Fill]) -> None:
        """Take the baseline: positions and the trades (by trade id) already counted in them."""
        self._base = {p.symbol: p for p in positions}
        self._counted = {f.trade_id for f in fills}

    def current(self, queried: Sequence[Position], fills: Iterable[Fill]) -> tuple[Position, ...]:
        """Return the positions now: the baseline plus later trades; the query's where it agrees."""
        moved: dict[str, Position] = dict(self._base)
        for fill in fills:
            if fill.trade_id in self._counted:
                continue
            held = moved.get(fill.symbol)
            quantity, sellable = (held.quantity, held.sellable) if held else (0, 0)
            cost = held.cost if held else Decimal("0")
            if fill.side is Side.BUY:
                quantity += fill.quantity  # T+1: bought today, not sellable today
                cost += fill.price * fill.quantity + fill.fees
            else:
                cost = (cost * (quantity - fill.quantity) / quantity).quantize(FEN) if quantity else Decimal("0")
                quantity -= fill.quantity
                sellable -= fill.quantity
            moved[fill.symbol] = Position(
                symbol=fill.symbol,
                quantity=quantity,
                sellable=max(sellable, 0),
                cost=cost,
                last_price=held.last_price if held else fill.price,
            )
        by_symbol = {p.symbol: p for p in queried}
        result = []
        for symbol in sorted(set(moved) | set(by_symbol)):
            want, have = moved.get(symbol), by_symbol.get(symbol)
            want_quantity = want.quantity if want else 0
            have_quantity = have.quantity if have else 0
            base = self._base.get(symbol)
            frozen = have_quantity == (base.quantity if base else 0) != want_quantity
            if not frozen:  # agrees, or moved otherwise than by trades: the query's, for reconciliation to judge
                if have is not None:
                    result.append(have)
                continue
            log.warning(
                "position query says %s %s, baseline and trades say %s: the position list is stale "
                "(quote link down?); reporting the trades'",
                symbol,
                have_quantity,
                want_quantity,
            )
            if want is not None and want.quantity > 0:
                result.append(want)
        return tuple(result)
