"""Board lots: minimum buy, buy step, and the odd-lot sell of a remainder (DESIGN.md §7)."""

from __future__ import annotations

from alphamoe.market.boards import board_of
from alphamoe.market.rules import rulebook


def buy_lot(symbol: str) -> tuple[int, int]:
    """Return (minimum buy quantity, step above it) for the symbol's board."""
    rule = rulebook().lot_rule(board_of(symbol))
    return rule.min_buy, rule.buy_step


def round_buy_quantity(symbol: str, quantity: int) -> int:
    """Round a wanted buy quantity down to the nearest valid one; 0 when below the minimum."""
    minimum, step = buy_lot(symbol)
    if quantity < minimum:
        return 0
    return minimum + (quantity - minimum) // step * step


def buy_quantity_error(symbol: str, quantity: int) -> str | None:
    """Return why a buy quantity is invalid for the board, or None."""
    minimum, step = buy_lot(symbol)
    if quantity < minimum:
        return f"BUY quantity {quantity} for {symbol} is below the board minimum {minimum}"
    if (quantity - minimum) % step:
        return f"BUY quantity {quantity} for {symbol} is not {minimum} plus a multiple of {step}"
    return None


def sell_quantity_error(symbol: str, quantity: int, held: int) -> str | None:
    """Return why a sell quantity is invalid, or None.

    A sell follows the buy steps, except that the whole odd-lot remainder of a holding may be sold.
    """
    if quantity <= 0:
        return f"SELL quantity {quantity} for {symbol} is not positive"
    if quantity > held:
        return f"SELL quantity {quantity} for {symbol} exceeds the {held} shares held"
    if quantity == held:
        return None
    minimum, step = buy_lot(symbol)
    if (step > 1 and quantity % step == 0) or (step == 1 and quantity >= minimum):
        return None
    if step > 1 and quantity % step:
        return f"SELL quantity {quantity} for {symbol} is not a multiple of {step} and does not clear the holding"
    return f"SELL quantity {quantity} for {symbol} is below {minimum} and does not clear the holding"


def round_sell_quantity(symbol: str, quantity: int, held: int) -> int:
    """Round a wanted sell quantity down to the largest valid one (0 when none).

    Clearing the whole holding is always valid (the odd-lot remainder goes with it); otherwise the
    quantity follows the board's buy steps, as `sell_quantity_error` requires.
    """
    quantity = min(quantity, held)
    if quantity <= 0:
        return 0
    if quantity == held:
        return quantity
    minimum, step = buy_lot(symbol)
    if step > 1:
        return quantity // step * step
    return quantity if quantity >= minimum else 0
