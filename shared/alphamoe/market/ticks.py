"""Price ticks: every A-share order price is a whole number of 0.01 CNY ticks."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from alphamoe.market.rules import rulebook


def tick_size() -> Decimal:
    return rulebook().tick


def round_half_up(price: Decimal) -> Decimal:
    """Round to the tick, half up: how the exchanges compute limit prices."""
    return price.quantize(tick_size(), rounding=ROUND_HALF_UP)


def on_tick(price: Decimal) -> bool:
    return price == price.quantize(tick_size())


def to_price(value: float | str | Decimal) -> Decimal:
    """Return a float bar price as an exact tick Decimal (bars store prices as float64)."""
    return round_half_up(Decimal(str(value)) if isinstance(value, float) else Decimal(value))
