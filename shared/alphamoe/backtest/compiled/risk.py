"""`RiskEngine.evaluate_batch` for one backtest session, compiled: every rule's verdict, in whole fen.

Orders are decided sells first, then buys, each in symbol order (the live order-id order: ids differ only
in the symbol); an approval books its shares, cash and notional for the rest of the session. A rejected
order counts every rule it fails, under the live rule's code (`risk.rules.RULES` order: `RULE_CODES`).
Rules that cannot fail in a backtest are left out, each for a stated reason: TRADING_DAY and ACCOUNT (the
orders are the session's own), KILL_SWITCH (ACTIVE throughout), DUPLICATE_ORDER (one order per symbol
and side), DELISTING and LOCKED_LIMIT_UP (the backtest's facts name no such stocks), PRICE_TICK (fen).
"""

from __future__ import annotations

import numpy as np

from alphamoe.backtest.compiled.money import fee, sell_valid
from alphamoe.backtest.compiled.terms import Array, ColumnTerms, FeeTerms, RiskTerms
from alphamoe.jit import jit

RULE_CODES = (
    "DAILY_ORDER_CAP",
    "DAILY_CANCEL_CAP",
    "ORDER_RATE",
    "ACTIVE_ORDER_CAP",
    "SYMBOL_NOT_TRADING",
    "LOT_SIZE",
    "PRICE_BAND",
    "ST_BUY",
    "MAX_ORDER_QUANTITY",
    "MAX_ORDER_NOTIONAL",
    "T_PLUS_ONE",
    "CASH",
    "MAX_POSITION_WEIGHT",
    "MAX_BOARD_WEIGHT",
    "MAX_INDUSTRY_WEIGHT",
)
"""The live codes of the rules checked here, in `risk.rules.RULES` order (index = violation bit)."""


@jit
def risk_session(
    row: int,
    n: int,
    order_col: Array,
    order_buy: Array,
    order_qty: Array,
    order_limit: Array,
    cash: int,
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
    equity = cash
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
            bits |= 1 << 0
        if n_approved >= r.max_orders_and_cancels_per_day:
            bits |= 1 << 1
        if n_approved >= r.max_orders_per_second:
            bits |= 1 << 2
        if n_approved >= r.max_active_orders:
            bits |= 1 << 3
        if not traded[c]:
            bits |= 1 << 4
        minimum, step = cols.min_buy[c], cols.step[c]
        if buy:
            if quantity < minimum or (quantity - minimum) % step:
                bits |= 1 << 5
        elif not sell_valid(quantity, qty[c] - pending[c], minimum, step):
            bits |= 1 << 5
        if traded[c] and not (down[c] <= limit <= up[c]):
            bits |= 1 << 6
        if buy and traded[c] and st[c] and not r.allow_st_buys:
            bits |= 1 << 7
        if quantity > r.max_order_quantity:
            bits |= 1 << 8
        if value > r.max_order_notional:
            bits |= 1 << 9
        cost = 0
        if not buy:
            if quantity > sellable[c] - pending[c]:
                bits |= 1 << 10
        else:
            cost = value + fee(fees, row, c, True, value)
            if buy_cost + cost > cash:
                bits |= 1 << 11
            after = qty[c] * last[c] + bought[c] + value
            if equity <= 0 or after * r.position.den > equity * r.position.num:
                bits |= 1 << 12
            b = cols.board[c]
            after = by_board[b] + board_new[b] + value
            if equity <= 0 or after * r.board.den > equity * r.board.num:
                bits |= 1 << 13
            g = cols.industry[c]
            if g >= 0:
                after = by_industry[g] + industry_new[g] + value
                if equity <= 0 or after * r.industry.den > equity * r.industry.num:
                    bits |= 1 << 14
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
