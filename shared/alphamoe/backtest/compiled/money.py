"""Exact money in whole fen for the compiled loop: fees, lots, limit prices and a correctly rounded sum.

Each function is the integer form of a live one, named beside it; `tests/unit/backtest/test_compiled_money.py`
checks them equal on random inputs. Rates are integers over `FeeTerms.den`, so `round_half_up(x / den)`
is the live `Decimal.quantize(FEN, ROUND_HALF_UP)` of the same product.
"""

from __future__ import annotations

from alphamoe.backtest.compiled.terms import FeeTerms
from alphamoe.jit import jit, jit_inline


@jit_inline
def half_up(scaled: int, den: int) -> int:
    """Return scaled / den rounded half up to an integer (scaled ≥ 0)."""
    return (2 * scaled + den) // (2 * den)


@jit
def fee(fees: FeeTerms, row: int, col: int, is_buy: bool, quantity: int, price: int) -> int:
    """Commission (with its minimum) + stamp duty + transfer fee of `quantity` shares at `price` fen, in fen
    (`market.fees.DayFees`)."""
    notional = quantity * price
    if notional <= 0:
        return 0
    den = fees.den
    broker = notional * fees.commission
    if fees.minimum > broker:
        broker = fees.minimum
    total = half_up(broker, den)
    stamp = fees.stamp_buy[row] if is_buy else fees.stamp_sell[row]
    total += half_up(notional * stamp, den)
    ex = fees.exchange[col]
    total += half_up(notional * fees.transfer[row, ex] + quantity * fees.par[col] * fees.transfer_par[row, ex], den)
    return total


@jit_inline
def round_buy(quantity: int, minimum: int, step: int) -> int:
    """`market.lots.round_buy_quantity`: down to a valid buy quantity, 0 below the minimum."""
    if quantity < minimum:
        return 0
    return minimum + (quantity - minimum) // step * step


@jit_inline
def round_sell(quantity: int, held: int, minimum: int, step: int) -> int:
    """`market.lots.round_sell_quantity`: the largest valid sell ≤ quantity; clearing the holding always is."""
    if quantity > held:
        quantity = held
    if quantity <= 0:
        return 0
    if quantity == held:
        return quantity
    if step > 1:
        return quantity // step * step
    return quantity if quantity >= minimum else 0


@jit_inline
def sell_valid(quantity: int, held: int, minimum: int, step: int) -> bool:
    """`market.lots.sell_quantity_error(...) is None`."""
    if quantity <= 0 or quantity > held:
        return False
    if quantity == held:
        return True
    return (step > 1 and quantity % step == 0) or (step == 1 and quantity >= minimum)


@jit_inline
def buy_limit(prev_close: int, down: int, up: int, num: int, den: int) -> int:
    """`sizing.allocate.buy_limit_price`: prev close × (1 + buffer), half up to the fen, inside the band."""
    return max(down, min(up, half_up(prev_close * (den + num), den)))


@jit_inline
def sell_limit(prev_close: int, down: int, up: int, num: int, den: int) -> int:
    """`sizing.allocate.sell_limit_price`: prev close × (1 − buffer), half up to the fen, inside the band."""
    return min(up, max(down, half_up(prev_close * (den - num), den)))
