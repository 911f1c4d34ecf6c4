"""The compiled session loop: for each session, decide (routed scan picks → size → risk), match, mark, record.

`backtest.engine.simulate` with `DayDecider.decide` is the same loop over the live Python objects; this
one keeps the account as arrays in fen and calls the compiled transcriptions of size, risk and matching,
so ten years of the whole market run in about a second. `tests/unit/backtest/test_compiled_engine.py`
checks both give the same trades, equity and rejections.
"""

from __future__ import annotations

import numpy as np

from alphamoe.backtest.compiled.matching import (
    CASH,
    FILLED,
    FROZEN,
    RECEIVABLE,
    VOLUME_CAP,
    TaxedLots,
    match_order,
)
from alphamoe.backtest.compiled.risk import risk_session
from alphamoe.backtest.compiled.sizing import size_session
from alphamoe.backtest.compiled.terms import Array, ColumnTerms, FeeTerms, RiskTerms, SizingTerms
from alphamoe.jit import jit

TRADE_FIELDS = ("row", "col", "buy", "quantity", "price", "fees", "tax")
MISS_FIELDS = ("row", "col", "buy", "quantity", "filled", "limit", "reason")
"""An approved order not filled in full (`result.UnfilledOrder`): limit in fen, reason an UNFILLED code."""
EQUITY_FIELDS = ("equity", "cash", "value")


@jit
def run_rows(
    lo: int,
    hi: int,
    book: Array,  # ([cash, frozen, receivable], fen; the receivable moves only between calls)
    qty: Array,
    sellable: Array,
    locked: Array,  # (new shares of corporate actions applied at lo's open: unlisted until the next session)
    last: Array,
    market: tuple[Array, ...],  # (open, high, low, up, down, volume, traded)
    close: Array,
    prev_close: Array,
    st: Array,
    pick_start: Array,  # (rows + 1: row t's picks are pick_cols[pick_start[t]:pick_start[t+1]], best first)
    pick_cols: Array,
    pick_confidence: Array,  # (per pick: the router's confidence, NaN unless it confirmed)
    exits: Array,
    kelly_table: Array,  # (per row t: the Kelly table a decision at t reads)
    p_win: Array,  # (tables × columns)
    payoff: Array,
    s: SizingTerms,
    r: RiskTerms,
    cols: ColumnTerms,
    fees: FeeTerms,
    taxed: TaxedLots,  # (the tax lots with dividends untaxed at lo's open: `matching.TaxedLots`)
    volume_cap: float,
    rejected: Array,
    unfilled: Array,
    trades: Array,  # (capacity × TRADE_FIELDS)
    n_trades: int,
    misses: Array,  # (capacity × MISS_FIELDS)
    n_misses: int,
    equity: Array,  # (rows × EQUITY_FIELDS)
) -> tuple[Array, int, Array, int]:
    """Run sessions lo … hi−1 on the account arrays (updated in place); return the trade and miss buffers and
    their lengths (each grown when full)."""
    n = len(qty)
    traded = market[6]
    width = n + s.max_orders
    out_col = np.empty(width, dtype=np.int64)
    out_buy = np.empty(width, dtype=np.bool_)
    out_qty = np.empty(width, dtype=np.int64)
    out_limit = np.empty(width, dtype=np.int64)
    approved = np.empty(width, dtype=np.int64)
    exiting = np.zeros(n, dtype=np.bool_)
    filled = np.zeros(n, dtype=np.int64)
    bought = np.zeros(n, dtype=np.int64)
    trade = np.zeros(4, dtype=np.int64)
    for row in range(lo, hi):
        book[FROZEN] = 0
        sellable[:] = qty - locked  # Ledger.opening: every share held yesterday settles (T+1)
        locked[:] = 0
        t = row - 1
        if t >= 0:
            held = cols.by_rank[qty[cols.by_rank] > 0]
            any_exit = False
            for c in held:
                exiting[c] = exits[t, c]
                any_exit = any_exit or exiting[c]
            picks = pick_cols[pick_start[t] : pick_start[t + 1]]
            if len(picks) or any_exit:  # DayDecider.decide: nothing to decide without either
                k = kelly_table[t]
                n_orders = size_session(
                    row, book[CASH], book[RECEIVABLE], qty, sellable, last, held, exiting, picks,
                    pick_confidence[pick_start[t] : pick_start[t + 1]], p_win[k], payoff[k],
                    traded[row], prev_close[row], market[4][row], market[3][row], s, cols, fees,
                    out_col, out_buy, out_qty, out_limit,
                )  # fmt: skip
                n_approved = 0
                if n_orders:
                    n_approved = risk_session(
                        row, n_orders, out_col, out_buy, out_qty, out_limit, book[CASH], book[RECEIVABLE], qty,
                        sellable, last, held, traded[row], st[row], market[4][row], market[3][row], r, cols, fees,
                        approved, rejected,
                    )  # fmt: skip
                if n_trades + n_approved > len(trades):
                    grown = np.zeros((2 * len(trades) + n_approved, trades.shape[1]), dtype=np.int64)
                    grown[:n_trades] = trades[:n_trades]
                    trades = grown
                if n_misses + n_approved > len(misses):
                    grown = np.zeros((2 * len(misses) + n_approved, misses.shape[1]), dtype=np.int64)
                    grown[:n_misses] = misses[:n_misses]
                    misses = grown
                for j in range(n_approved):
                    k = approved[j]
                    c = out_col[k]
                    reason = match_order(
                        row, c, out_buy[k], out_qty[k], out_limit[k], market, volume_cap, book, qty, sellable,
                        last, filled, bought, cols, fees, taxed, lo, trade,
                    )  # fmt: skip
                    got = trade[0] if reason == FILLED else 0
                    if got < out_qty[k]:
                        misses[n_misses, 0], misses[n_misses, 1], misses[n_misses, 2] = row, c, out_buy[k]
                        misses[n_misses, 3], misses[n_misses, 4], misses[n_misses, 5] = out_qty[k], got, out_limit[k]
                        misses[n_misses, 6] = VOLUME_CAP if reason == FILLED else reason
                        n_misses += 1
                    if reason != FILLED:
                        unfilled[reason] += 1
                        continue
                    trades[n_trades, 0], trades[n_trades, 1], trades[n_trades, 2] = row, c, out_buy[k]
                    trades[n_trades, 3], trades[n_trades, 4], trades[n_trades, 5] = trade[0], trade[1], trade[2]
                    trades[n_trades, 6] = trade[3]
                    n_trades += 1
                for j in range(n_approved):  # reset what this session touched
                    filled[out_col[approved[j]]] = 0
                    bought[out_col[approved[j]]] = 0
            for c in held:
                exiting[c] = False
        value = 0
        for c in range(n):  # mark at the close; a suspended stock keeps its last price
            if qty[c] > 0:
                if traded[row, c]:
                    last[c] = close[row, c]
                value += qty[c] * last[c]
        equity[row, 0], equity[row, 1], equity[row, 2] = book[CASH] + book[RECEIVABLE] + value, book[CASH], value
    return trades, n_trades, misses, n_misses
