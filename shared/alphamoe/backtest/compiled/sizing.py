"""`sizing.allocate.size_batch` for one backtest session, compiled: the same steps on whole fen and floats.

Step for step (each line names its live counterpart): sells of exits and trims in symbol order, then
candidates (Kelly × fraction × confidence, capped by the room under the stock cap), best weight first,
board then industry caps, the total-exposure scale, and lot-valid quantities against the cash left after
the reserve, none worth less than the minimum order value. Weights are the same IEEE float operations as
live (`allocate.ratio`, `allocate.target_cny`), money is exact integers. The backtest's facts hold
industries only (no delisting or locked-limit-up names), so the live `blocked` filter is empty here. A pick
the router did not confirm has confidence NaN (live: verdict ≠ confirm), which fails `conf ≥ min_confidence`
as the live check does.
"""

from __future__ import annotations

import math

import numpy as np

from alphamoe.backtest.compiled.money import buy_limit, fee, round_buy, round_sell, sell_limit
from alphamoe.backtest.compiled.terms import Array, ColumnTerms, FeeTerms, SizingTerms
from alphamoe.jit import jit, jit_inline
from alphamoe.strategy.exact_sum import fsum


@jit_inline
def kelly(p: float, b: float) -> float:
    """`sizing.kelly.kelly_fraction`."""
    if not (0.0 <= p <= 1.0) or not (b > 0.0) or not math.isfinite(b):
        return 0.0
    f = p - (1.0 - p) / b
    return f if f > 0.0 else 0.0


@jit
def size_session(
    row: int,
    cash: int,
    receivable: int,  # (dividends gone ex, not yet paid: equity, not cash)
    qty: Array,
    sellable: Array,
    last: Array,
    held: Array,  # (held columns in symbol order)
    exiting: Array,  # (per column: a held stock the strategy exits)
    picks: Array,  # (the scan's candidates, best score first)
    confidence: Array,  # (per pick: the router's confidence, NaN unless it confirmed)
    p_win: Array,
    payoff: Array,
    traded: Array,  # (row's: has a pre-open reference)
    prev_close: Array,
    down: Array,
    up: Array,
    s: SizingTerms,
    cols: ColumnTerms,
    fees: FeeTerms,
    out_col: Array,
    out_buy: Array,
    out_qty: Array,
    out_limit: Array,
) -> int:
    """Write the session's proposed orders (sells, then buys best weight first) into out_*; return how many."""
    n_held = len(held)
    market_value = 0
    for k in range(n_held):
        market_value += qty[held[k]] * last[held[k]]
    equity = cash + receivable + market_value  # _Book.of
    held_weight = np.zeros(n_held, dtype=np.float64)
    if equity > 0:
        for k in range(n_held):
            held_weight[k] = float(qty[held[k]] * last[held[k]]) / float(equity)
    n = 0
    # _sells: exits, else trims of a holding past cap + band
    bnum, bden = s.buffer.num, s.buffer.den
    for k in range(n_held):
        c = held[k]
        if not traded[c]:
            continue
        if exiting[c]:
            quantity = round_sell(sellable[c], qty[c], cols.min_buy[c], cols.step[c])
        else:  # _trim
            quantity = 0
            if equity > 0 and qty[c] != 0 and not (held_weight[k] <= s.max_position_weight + s.trim_band):
                cnum, cden = s.cap.num, s.cap.den
                excess = qty[c] * last[c] * cden - cnum * equity  # (value − cap × equity) × cden
                wanted = -((-excess) // (last[c] * cden))  # ceil(excess / last)
                minimum, step = cols.min_buy[c], cols.step[c]
                if wanted < minimum:
                    wanted = minimum
                wanted = -((-wanted) // step) * step
                quantity = round_sell(min(wanted, sellable[c]), qty[c], minimum, step)
        if quantity <= 0:
            continue
        out_col[n], out_buy[n], out_qty[n] = c, False, quantity
        out_limit[n] = sell_limit(prev_close[c], down[c], up[c], bnum, bden)
        n += 1
    if equity <= 0:
        return n
    # _candidates: in symbol order (the live sort), f* × fraction × confidence, capped under the stock cap
    m = len(picks)
    order = np.argsort(cols.rank[picks], kind="mergesort")
    cand = np.empty(m, dtype=np.int64)
    weight = np.empty(m, dtype=np.float64)
    kept = 0
    for k in range(m):
        c, conf = picks[order[k]], confidence[order[k]]
        if not (conf >= s.min_confidence) or not traded[c] or exiting[c]:  # NaN: vetoed or abstained
            continue
        raw = kelly(p_win[c], payoff[c]) * s.kelly_fraction * conf
        hw = float(qty[c] * last[c]) / float(equity) if qty[c] > 0 else 0.0
        room = s.max_position_weight - hw
        if room < 0.0:
            room = 0.0
        w = room if room < raw else raw
        if w <= 0.0:
            continue
        cand[kept], weight[kept] = c, w
        kept += 1
    cand, weight = cand[:kept], weight[:kept]
    best = np.argsort(-weight, kind="mergesort")[: s.max_orders]  # (-weight, symbol): ties stay in symbol order
    cand, weight = cand[best], weight[best]
    _cap_groups(cand, weight, held, held_weight, cols.board, cols.n_boards, s.max_board_weight, cols.rank)
    _cap_groups(cand, weight, held, held_weight, cols.industry, cols.n_industries, s.max_industry_weight, cols.rank)
    # _buys: the exposure scale, then lots against the cash left after the reserve and earlier orders
    positive = weight > 0.0
    cand, weight = cand[positive], weight[positive]
    exposure = float(market_value) / float(equity)
    ceiling = 1.0 - s.cash_reserve
    if s.max_total_weight <= ceiling:
        ceiling = s.max_total_weight
    room = ceiling - exposure
    if room < 0.0:
        room = 0.0
    total = fsum(weight, len(weight))
    scale = room / total if total > room else 1.0
    rnum, rden = s.reserve.num, s.reserve.den
    cash_left = cash * rden - rnum * equity  # in fen / rden
    for k in range(len(cand)):
        c = cand[k]
        w = weight[k] * scale
        limit = buy_limit(prev_close[c], down[c], up[c], bnum, bden)
        target = math.floor(w * float(equity))  # allocate.target_cny
        spend = target * rden if target * rden < cash_left else cash_left
        minimum, step = cols.min_buy[c], cols.step[c]
        quantity = round_buy(spend // (limit * rden), minimum, step) if spend > 0 else 0
        cost = quantity * limit + fee(fees, row, c, True, quantity, limit)
        while quantity > 0 and cost * rden > cash_left:
            quantity = round_buy(quantity - 1, minimum, step)
            cost = quantity * limit + fee(fees, row, c, True, quantity, limit)
        if quantity <= 0 or quantity * limit < s.min_order:  # below sizing.min_order_value: not proposed
            continue
        cash_left -= cost * rden
        out_col[n], out_buy[n], out_qty[n], out_limit[n] = c, True, quantity, limit
        n += 1
    return n


@jit
def _cap_groups(
    cand: Array,
    weight: Array,
    held: Array,
    held_weight: Array,
    group: Array,
    n_groups: int,
    cap: float,
    rank: Array,
) -> None:
    """`allocate._cap_groups`: scale each group's new weights so held + new stays within its cap (in place)."""
    if len(cand) == 0 or n_groups == 0:
        return
    held_sum = np.zeros(n_groups, dtype=np.float64)
    for k in range(len(held)):
        g = group[held[k]]
        if g >= 0:
            held_sum[g] = held_sum[g] + held_weight[k]
    total = np.zeros(n_groups, dtype=np.float64)
    for k in np.argsort(rank[cand], kind="mergesort"):
        g = group[cand[k]]
        if g >= 0:
            total[g] = total[g] + weight[k]
    for k in range(len(cand)):
        g = group[cand[k]]
        if g < 0:
            continue
        room = cap - held_sum[g]
        if room < 0.0:
            room = 0.0
        if total[g] <= room:
            continue
        weight[k] = weight[k] * (room / total[g])
