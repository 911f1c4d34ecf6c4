"""`RiskEngine.evaluate_batch` for one backtest session, compiled: every rule's verdict, in whole fen.

Orders are decided sells first, then buys, each in symbol order (the live order-id order: ids differ only
in the symbol); an approval books its shares, cash and notional for the rest of the session. A rejected
order counts every rule it fails, under the live rule's code (`RULE_CODES`: `risk.rules.RULES` in order,
less the rules that cannot fail in a backtest, each left out for the reason `NOT_IN_BACKTESTS` gives).
"""

from __future__ import annotations

import numpy as np

from alphamoe.backtest.compiled.money import fee, sell_valid
from alphamoe.backtest.compiled.terms import Array, ColumnTerms, FeeTerms, RiskTerms
from alphamoe.jit import jit
from alphamoe.risk.rules import RULES

NOT_IN_BACKTESTS = {
    "TRADING_DAY": "the orders are the session's own",
    "ACCOUNT": "the orders are the backtest account's own",
    "KILL_SWITCH": "the trading state is ACTIVE throughout",
    "DUPLICATE_ORDER": "one order per symbol and side a session",
    "DELISTING": "the backtest's facts name no stock in its delisting period",
    "PRICE_TICK": "limit prices are whole fen",
    "LOCKED_LIMIT_UP": "the backtest's facts name no locked stock (a sealed D−1 is not a candidate)",
}
RULE_CODES = tuple(code for code, _ in RULES if code not in NOT_IN_BACKTESTS)
"""The live codes of the rules checked here, in `risk.rules.RULES` order (index = violation bit)."""


def _bit(code: str) -> int:
    """Return the violation bit of a live rule code (its index in RULE_CODES); a code not checked raises."""
    return 1 << RULE_CODES.index(code)


DAILY_ORDER_CAP = _bit("DAILY_ORDER_CAP")
DAILY_CANCEL_CAP = _bit("DAILY_CANCEL_CAP")
ORDER_RATE = _bit("ORDER_RATE")
ACTIVE_ORDER_CAP = _bit("ACTIVE_ORDER_CAP")
SYMBOL_NOT_TRADING = _bit("SYMBOL_NOT_TRADING")
LOT_SIZE = _bit("LOT_SIZE")
PRICE_BAND = _bit("PRICE_BAND")
ST_BUY = _bit("ST_BUY")
MAX_ORDER_QUANTITY = _bit("MAX_ORDER_QUANTITY")
MAX_ORDER_NOTIONAL = _bit("MAX_ORDER_NOTIONAL")
T_PLUS_ONE = _bit("T_PLUS_ONE")
CASH = _bit("CASH")
MAX_POSITION_WEIGHT = _bit("MAX_POSITION_WEIGHT")
MAX_BOARD_WEIGHT = _bit("MAX_BOARD_WEIGHT")
MAX_INDUSTRY_WEIGHT = _bit("MAX_INDUSTRY_WEIGHT")


@jit
def risk_session(
    row: int,
    n: int,
    order_col: Array,
    order_buy: Array,
    order_qty: Array,
    order_limit: Array,
    cash: int,
    receivable: int,  # (dividends gone ex, not yet paid: equity, not cash)
    qty: Array,
    sellable: Array,
    last: Array,
    held: Array,
    traded: Array,
    st: Array,
    down: Array,
    up: Array,
    r: RiskTerms,
    cols: ColumnTerms,
    fees: FeeTerms,
    approved: Array,  # (out: indices into the orders, in decision order)
    rejected: Array,  # (in/out: violations counted per RULE_CODES index)
) -> int:
    """Decide the session's orders; write the approved ones' indices into `approved`, return how many."""
    equity = cash + receivable  # AccountState.equity
    by_board = np.zeros(max(cols.n_boards, 1), dtype=np.int64)
    by_industry = np.zeros(max(cols.n_industries, 1), dtype=np.int64)
    for k in range(len(held)):  # risk.rules.Holdings.of
        c = held[k]
        value = qty[c] * last[c]
        equity += value
        by_board[cols.board[c]] += value
        if cols.industry[c] >= 0:
            by_industry[cols.industry[c]] += value
    board_new = np.zeros_like(by_board)
    industry_new = np.zeros_like(by_industry)
    buy_cost = 0
    n_approved = 0
    # the fixed order: sells, then buys, each by symbol
    keys = np.empty(n, dtype=np.int64)
    for k in range(n):
        keys[k] = cols.rank[order_col[k]] + (0 if not order_buy[k] else len(cols.rank))
    pending = np.zeros(len(cols.rank), dtype=np.int64)  # shares promised to approved sells, by column
    bought = np.zeros(len(cols.rank), dtype=np.int64)  # notional of approved buys, by column
    for k in np.argsort(keys, kind="mergesort"):
        c, buy, quantity, limit = order_col[k], order_buy[k], order_qty[k], order_limit[k]
        value = quantity * limit
        bits = 0
        if n_approved >= r.max_orders_per_day:
            bits |= DAILY_ORDER_CAP
        if n_approved >= r.max_orders_and_cancels_per_day:
            bits |= DAILY_CANCEL_CAP
        if n_approved >= r.max_orders_per_second:
            bits |= ORDER_RATE
        if n_approved >= r.max_active_orders:
            bits |= ACTIVE_ORDER_CAP
        if not traded[c]:
            bits |= SYMBOL_NOT_TRADING
        minimum, step = cols.min_buy[c], cols.step[c]
        if buy:
            if quantity < minimum or (quantity - minimum) % step:
                bits |= LOT_SIZE
        elif not sell_valid(quantity, qty[c] - pending[c], minimum, step):
            bits |= LOT_SIZE
        if traded[c] and not (down[c] <= limit <= up[c]):
            bits |= PRICE_BAND
        if buy and traded[c] and st[c] and not r.allow_st_buys:
            bits |= ST_BUY
        if quantity > r.max_order_quantity:
            bits |= MAX_ORDER_QUANTITY
        if value > r.max_order_notional:
            bits |= MAX_ORDER_NOTIONAL
        cost = 0
        if not buy:
            if quantity > sellable[c] - pending[c]:
                bits |= T_PLUS_ONE
        else:
            cost = value + fee(fees, row, c, True, quantity, limit)
            if buy_cost + cost > cash:
                bits |= CASH
            after = qty[c] * last[c] + bought[c] + value
            if equity <= 0 or after * r.position.den > equity * r.position.num:
                bits |= MAX_POSITION_WEIGHT
            b = cols.board[c]
            after = by_board[b] + board_new[b] + value
            if equity <= 0 or after * r.board.den > equity * r.board.num:
                bits |= MAX_BOARD_WEIGHT
            g = cols.industry[c]
            if g >= 0:
                after = by_industry[g] + industry_new[g] + value
                if equity <= 0 or after * r.industry.den > equity * r.industry.num:
                    bits |= MAX_INDUSTRY_WEIGHT
        if bits:
            for code in range(len(rejected)):
                if bits & (1 << code):
                    rejected[code] += 1
            continue
        approved[n_approved] = k
        n_approved += 1
        if buy:
            buy_cost += cost
            bought[c] += value
            board_new[cols.board[c]] += value
            if cols.industry[c] >= 0:
                industry_new[cols.industry[c]] += value
        else:
            pending[c] += quantity
    return n_approved
