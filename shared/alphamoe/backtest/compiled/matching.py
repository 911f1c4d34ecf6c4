"""`backtest.engine.fill_order` compiled: match one approved order on the session's bar and book the fill.

The fill price and volume room are `backtest.fills`' own functions, compiled; cash checks, the frozen
cash of open buy remainders and the ledger's T+1 bookkeeping follow `engine.fill_order` and `Ledger`.
A sale's dividend tax is `market.dividend_tax.lot_tax_fen`, compiled, on the tax lots `TaxedLots` holds
(the lots with dividends untaxed at the call's first session; lots bought within a call carry none, since
a call never spans an ex date, and come after them first in first out).
"""

from __future__ import annotations

from alphamoe.backtest import fills
from alphamoe.backtest.compiled.money import fee, round_buy, round_sell
from alphamoe.backtest.compiled.terms import Array, ColumnTerms, FeeTerms
from alphamoe.jit import jit
from alphamoe.market import dividend_tax

fill_price = jit(fills.fill_price)
volume_room = jit(fills.volume_room)
lot_tax_fen = jit(dividend_tax.lot_tax_fen)

UNFILLED = (
    "suspended",
    "cash",
    "t_plus_one",
    "limit_not_reached",
    "sealed_limit_up",
    "sealed_limit_down",
    "volume_cap",
)
"""Why an approved order did not fill, under `engine.fill_order`'s names (index = reason code)."""
FILLED = -1
VOLUME_CAP = UNFILLED.index("volume_cap")


CASH, FROZEN, RECEIVABLE = 0, 1, 2  # the account book's slots: [cash, frozen for open buys, dividends owed], fen

TaxedLots = tuple[Array, Array, Array, Array]
"""(slot per column or −1, shares [slot, lot], untaxed fen [slot, lot], rate bp [slot, lot, row − first row]):
the tax lots with dividends untaxed at a call's first session, oldest first; updated in place by sales."""


@jit
def match_order(
    row: int,
    c: int,
    buy: bool,
    quantity: int,
    limit: int,
    market: tuple[Array, ...],  # (open, high, low, up, down, volume, traded)
    volume_cap: float,
    book: Array,  # ([cash, frozen] in fen)
    qty: Array,
    sellable: Array,
    last: Array,
    filled: Array,  # (shares filled today, by column)
    bought: Array,  # (shares bought today, by column: one buy order each)
    cols: ColumnTerms,
    fees: FeeTerms,
    taxed: TaxedLots,
    first: int,  # (the call's first row: the rate's index origin)
    trade: Array,  # (out: [quantity, price, fees, dividend tax])
) -> int:
    """Return FILLED after writing the fill into `trade`, or the UNFILLED reason code."""
    if not market[6][row, c]:  # (open, high, low, up, down, volume, traded)
        return 0
    if buy:
        if quantity * limit + fee(fees, row, c, True, quantity, limit) > book[CASH] - book[FROZEN]:
            return 1
    elif quantity > sellable[c]:
        return 2
    reason = _fill(
        row, c, buy, quantity, limit, market, volume_cap, book, qty, sellable, last, filled, bought, cols, fees,
        taxed, first, trade,
    )  # fmt: skip
    if buy:
        remainder = quantity - bought[c]
        if remainder > 0:  # the open remainder keeps its cash frozen until the day order expires
            book[FROZEN] += remainder * limit + fee(fees, row, c, True, remainder, limit)
    return reason


@jit
def _fill(
    row: int,
    c: int,
    buy: bool,
    quantity: int,
    limit: int,
    market: tuple[Array, ...],
    volume_cap: float,
    book: Array,
    qty: Array,
    sellable: Array,
    last: Array,
    filled: Array,
    bought: Array,
    cols: ColumnTerms,
    fees: FeeTerms,
    taxed: TaxedLots,
    first: int,
    trade: Array,
) -> int:
    open_, high, low, up, down, volume, _ = market
    h, lo, u, d = high[row, c], low[row, c], up[row, c], down[row, c]
    price = fill_price(buy, limit, open_[row, c], h, lo, u, d)
    if price == 0:
        if buy:
            return 4 if h == lo == u else 3
        return 5 if h == lo == d else 3
    room = volume_room(volume[row, c], volume_cap, filled[c])
    if room < quantity:
        minimum, step = cols.min_buy[c], cols.step[c]
        quantity = round_buy(room, minimum, step) if buy else round_sell(room, qty[c], minimum, step)
        if quantity <= 0:
            return 6
    cost, tax = fee(fees, row, c, buy, quantity, price), 0
    if buy:  # Ledger.buy
        book[CASH] -= quantity * price + cost
        if qty[c] == 0:
            sellable[c], last[c] = 0, price
        qty[c] += quantity
        bought[c] += quantity
    else:  # Ledger.sell
        tax = sale_tax(taxed, c, quantity, row - first)
        book[CASH] += quantity * price - cost - tax
        qty[c] -= quantity
        sellable[c] = 0 if qty[c] == 0 else sellable[c] - quantity
    filled[c] += quantity
    trade[0], trade[1], trade[2], trade[3] = quantity, price, cost, tax
    return FILLED


@jit
def sale_tax(taxed: TaxedLots, c: int, quantity: int, at: int) -> int:
    # market.dividend_tax.tax_on_sale on the fen arrays: the oldest lots first; lots bought since carry no tax
    slot, shares, untaxed, bp = taxed
    k = slot[c]
    if k < 0:
        return 0
    tax, left = 0, quantity
    for j in range(shares.shape[1]):
        if left == 0:
            break
        q = shares[k, j]
        if q == 0:
            continue
        take = min(left, q)
        portion, fen = lot_tax_fen(untaxed[k, j], take, q, bp[k, j, at])
        tax += fen
        shares[k, j], untaxed[k, j], left = q - take, untaxed[k, j] - portion, left - take
    return tax
