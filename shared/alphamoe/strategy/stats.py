"""Kelly statistics per stock from the strategy's own past trades in the panel, shrunk toward the universe.

Trades come from a fused numba kernel (`kernels.simulate_trades_kernel`) with the semantics of VectorBT's
`Portfolio.from_signals(direction="longonly", accumulate=False)`, long only, on adjusted prices: a signal
decided at row t's close trades at the open of the stock's next traded session (t+1 unless it is
suspended), so exits are never same-day (T+1 holds) and only trades closed by the last row count: nothing
after the panel is seen. Fills assume the open price; sealed limit boards are modelled by the paper broker
and the backtest, not here. Costs are `fee_rate` per side. `closed_trades_vectorbt` runs the same
simulation through VectorBT itself: the reference the kernel is tested against (VectorBT takes ~3 s to
import and ~8 s to compile in a cold process, which the scan cannot afford).

Two levels of Beta prior (empirical Bayes), stock → its board → the universe. Per board g with n_g closed
trades, w_g wins (return > 0):
  p_g = (w_g + k·p_U) / (n_g + k)                     k pseudo-trades at the universe rate
  b_g = (n_g·b̂_g + k·b_U) / (n_g + k)                  b̂_g = mean win / mean |loss| of board g
and per stock i on board g with n_i trades, w_i wins:
  p_i = (w_i + k·p_g) / (n_i + k)                     k pseudo-trades at its board's shrunk rate
  b_i = (n_i·b̂_i + k·b_g) / (n_i + k)
where p_U, b_U are the same ratios over every closed trade in the panel. A stock with few trades leans on
its board (STAR and ChiNext ±20% days pay differently from the main board's ±10%), a thin board on the
universe. Board and universe sums are `math.fsum`'s (`strategy.exact_sum`), so trade order never changes
a bit. Guards: b̂ = the level above when a stock or board has no win or no loss; p_U = 0.5 when the
universe has no closed trade, and b_U = 1 when it has no win or no loss (the ratio is undefined).

One definition of "p and b on day D", which the live scan and every backtest engine call (`kelly_at`,
`refresh_rows`): the statistics are refreshed at the close of the first session of each block of
`refresh` weekdays counted from `REFRESH_EPOCH` (anchored on the calendar, not on a run's first day, so a
backtest starting on any day and the day-by-day live run refresh on the same sessions), and a refresh at
row r runs the strategy on the `lookback` sessions ending at r alone, flat at the first: the trades a
live scan with that panel counts as closed. A decision after row t uses the refresh of t's block; the live
scan loads its panel from that window's first session (`kelly_panel_sessions`), so one run of the strategy
gives both the day's picks and the window's trades.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from alphamoe.market.bars import BoolArray, FloatArray, Panel, _ffill
from alphamoe.market.boards import board_key
from alphamoe.strategy.base import LatestSignals, Strategy, StrategySignals

Int64Array = npt.NDArray[np.int64]

DEFAULT_FEE_RATE = 0.0005  # per side: 0.025% commission each way + 0.05% stamp duty on sells, spread
DEFAULT_PRIOR_STRENGTH = 20.0
DEFAULT_STATS_LOOKBACK = 250  # sessions of the strategy's own past trades behind p and b
DEFAULT_STATS_REFRESH = 21  # weekdays per refresh block (about a month of sessions)
REFRESH_EPOCH = np.datetime64("1990-12-19", "D")  # the SSE's first session: refresh blocks count from it
NEUTRAL_P_WIN = 0.5
NEUTRAL_PAYOFF = 1.0


@dataclass(frozen=True)
class ClosedTrades:
    """Round trips closed inside the panel, in VectorBT's record order (by column, then time)."""

    column: Int64Array
    entry_row: Int64Array  # row of the fill at the open, one session after the entry signal
    exit_row: Int64Array
    ret: FloatArray  # VectorBT's: pnl net of fees on both sides / entry notional


@dataclass(frozen=True)
class KellyStats:
    """Shrunk win rate p and payoff b per panel column, with the universe prior they lean on."""

    symbols: tuple[str, ...]
    p_win: FloatArray
    payoff: FloatArray
    n_trades: Int64Array
    wins: Int64Array
    universe_p_win: float
    universe_payoff: float
    prior_strength: float
    prior_p_win: FloatArray  # per column: the board's shrunk p each stock leans on
    prior_payoff: FloatArray


def next_session_orders(signal: BoolArray, traded: BoolArray) -> BoolArray:
    """Return where a signal executes: the open of the stock's next traded session after the signal row."""
    rows = np.arange(signal.shape[0])[:, None]
    last_traded = np.maximum.accumulate(np.where(traded, rows, -1), axis=0)
    before = np.vstack([np.full((1, signal.shape[1]), -1), last_traded[:-1]])  # last traded row < t
    fired = np.take_along_axis(signal, np.maximum(before, 0), axis=0) & (before >= 0)
    out: BoolArray = traded & fired
    return out


def closed_trades(
    panel: Panel, signals: StrategySignals | LatestSignals, *, fee_rate: float = DEFAULT_FEE_RATE
) -> ClosedTrades:
    """Simulate the strategy on the panel (numba kernel, VectorBT's semantics) and return its closed trades."""
    from alphamoe.strategy.kernels import kernel_inputs, simulate_trades_kernel

    k = kernel_inputs(panel)
    column, entry_row, exit_row, ret = simulate_trades_kernel(
        np.asfortranarray(signals.entries), np.asfortranarray(signals.exits), k.open, k.factor, k.traded, fee_rate
    )
    return ClosedTrades(column=column, entry_row=entry_row, exit_row=exit_row, ret=ret)


def closed_trades_vectorbt(
    panel: Panel, signals: StrategySignals | LatestSignals, *, fee_rate: float = DEFAULT_FEE_RATE
) -> ClosedTrades:
    """Simulate the strategy on the panel with VectorBT and return its closed trades (the reference)."""
    import vectorbt as vbt  # lazy: ~3 s to import, numba compiles on first use
    from vectorbt.portfolio.enums import TradeStatus

    factor = panel.adjustment_factor()
    traded = panel.traded
    # C-contiguous float64/bool inputs always: numba compiles once per array layout, ~7 s each
    portfolio = vbt.Portfolio.from_signals(
        close=np.ascontiguousarray(_ffill(panel.close * factor)),  # valuation only; fills use `price`
        entries=np.ascontiguousarray(next_session_orders(signals.entries, traded)),
        exits=np.ascontiguousarray(next_session_orders(signals.exits, traded)),
        price=np.ascontiguousarray(panel.open * factor),
        fees=float(fee_rate),
        direction="longonly",
        accumulate=False,
        init_cash=1_000_000.0,
    )
    records = portfolio.trades.records_arr
    closed = records[records["status"] == TradeStatus.Closed]
    return ClosedTrades(
        column=closed["col"].astype(np.int64),
        entry_row=closed["entry_idx"].astype(np.int64),
        exit_row=closed["exit_idx"].astype(np.int64),
        ret=closed["return"].astype(np.float64),
    )


def kelly_stats(
    trades: ClosedTrades, symbols: tuple[str, ...], *, prior_strength: float = DEFAULT_PRIOR_STRENGTH
) -> KellyStats:
    """Return p and b per symbol (column of the trades), shrunk toward its board, the board toward the universe."""
    if prior_strength < 0:
        raise ValueError(f"prior_strength must be >= 0, was {prior_strength}")
    n_cols, k = len(symbols), float(prior_strength)
    won, lost = trades.ret > 0, trades.ret < 0
    n = np.bincount(trades.column, minlength=n_cols).astype(np.int64)
    w = np.bincount(trades.column[won], minlength=n_cols).astype(np.int64)
    losses = np.bincount(trades.column[lost], minlength=n_cols)
    sum_win = np.bincount(trades.column[won], weights=trades.ret[won], minlength=n_cols)
    sum_loss = np.bincount(trades.column[lost], weights=-trades.ret[lost], minlength=n_cols)

    from alphamoe.strategy.exact_sum import group_partials, union_sum  # numba: imported where it runs

    total = len(trades.ret)
    p_u = int(won.sum()) / total if total else NEUTRAL_P_WIN
    names, board = _boards(symbols)
    on_board = board[trades.column]
    # each board's wins (group 2g) and |losses| (2g + 1), summed exactly in one pass: `_payoff`'s fsum
    group = np.where(won, 2 * on_board, np.where(lost, 2 * on_board + 1, -1))
    partials, used = group_partials(np.abs(trades.ret), group, 2 * len(names))
    trades_of = np.bincount(on_board, minlength=len(names)).tolist()
    wins_of = np.bincount(on_board[won], minlength=len(names)).tolist()
    losses_of = np.bincount(on_board[lost], minlength=len(names)).tolist()

    def payoff(boards: list[int], fallback: float) -> float:
        # mean win / mean |loss| of these boards' trades, or `fallback` without a win or a loss
        n_wins, n_losses = sum(wins_of[g] for g in boards), sum(losses_of[g] for g in boards)
        if not n_wins or not n_losses:
            return fallback
        win_sum = union_sum(partials, used, np.array([2 * g for g in boards], dtype=np.int64))
        loss_sum = union_sum(partials, used, np.array([2 * g + 1 for g in boards], dtype=np.int64))
        return float((win_sum / n_wins) / (loss_sum / n_losses))

    b_u = payoff(list(range(len(names))), NEUTRAL_PAYOFF)
    p_board, b_board = np.empty(len(names)), np.empty(len(names))
    for g in range(len(names)):
        b_board[g] = _shrink(trades_of[g], payoff([g], b_u), k, b_u, weighted=True)
        p_board[g] = _shrink(trades_of[g], wins_of[g], k, p_u, weighted=False)
    prior_p, prior_b = p_board[board], b_board[board]
    with np.errstate(invalid="ignore", divide="ignore"):
        own_b = np.where((w > 0) & (losses > 0), (sum_win / w) / (sum_loss / losses), prior_b)
        weight = n + k
        p = np.where(weight > 0, (w + k * prior_p) / weight, prior_p)
        b = np.where(weight > 0, (n * own_b + k * prior_b) / weight, prior_b)
    return KellyStats(
        symbols=symbols,
        p_win=p.astype(np.float64),
        payoff=b.astype(np.float64),
        n_trades=n,
        wins=w,
        universe_p_win=float(p_u),
        universe_payoff=float(b_u),
        prior_strength=k,
        prior_p_win=prior_p.astype(np.float64),
        prior_payoff=prior_b.astype(np.float64),
    )


@lru_cache(maxsize=8)
def _boards(symbols: tuple[str, ...]) -> tuple[tuple[str, ...], Int64Array]:
    # the boards in name order and each column's board: the same for every refresh of a run, so kept
    names = tuple(sorted({board_key(s) for s in symbols}))
    at = {name: g for g, name in enumerate(names)}
    board = np.array([at[board_key(s)] for s in symbols], dtype=np.int64).reshape(-1)
    board.flags.writeable = False
    return names, board


def _shrink(n: int, own: float, k: float, prior: float, *, weighted: bool) -> float:
    # the Beta-prior blend of `n` observations with k pseudo-observations at `prior`: `own` is the count
    # of wins (weighted=False) or the level's own mean ratio (weighted=True, counted n times)
    if n + k <= 0:
        return prior
    return ((n * own if weighted else own) + k * prior) / (n + k)


def strategy_stats(
    panel: Panel,
    signals: StrategySignals | LatestSignals,
    *,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
    fee_rate: float = DEFAULT_FEE_RATE,
) -> KellyStats:
    """Return the strategy's shrunk Kelly statistics per stock of the panel."""
    trades = closed_trades(panel, signals, fee_rate=fee_rate)
    return kelly_stats(trades, panel.symbols, prior_strength=prior_strength)


def kelly_history(lookback: int, refresh: int) -> int:
    """Return the sessions before a first decision a backtest loads so its first refresh's window is whole
    (the first session of a block lies at most `refresh − 1` sessions before the decision)."""
    return lookback + refresh - 1


def kelly_panel_sessions(sessions: Sequence[date], until: date, lookback: int, refresh: int) -> int:
    """Return how many sessions up to `until` (D−1) the scan's panel takes so it starts where the Kelly window
    of D's refresh starts: its signals then serve both the day's picks and the window's trades (`kelly_at`).

    `sessions` are the store's, ascending; between `lookback` and `lookback + refresh − 1` sessions.
    """
    at = bisect_right(sessions, until)
    recent = np.array(sessions[max(at - refresh, 0) : at], dtype="datetime64[D]")  # holds D−1's block start
    if not len(recent):
        return lookback
    return lookback + len(recent) - 1 - int(refresh_rows(recent, refresh)[-1])


def refresh_rows(dates: npt.NDArray[np.datetime64], refresh: int) -> Int64Array:
    """Return, per row t, the row whose refresh a decision after t's close uses: the first row of t's block.

    Blocks are `refresh` weekdays counted from `REFRESH_EPOCH`; `dates` are sessions in increasing order.
    The first rows of a panel that starts mid-block map to row 0: a panel needs `refresh` sessions more.
    """
    if refresh < 1:
        raise ValueError(f"refresh must be >= 1 session, was {refresh}")
    block = np.busday_count(REFRESH_EPOCH, dates.astype("datetime64[D]")) // refresh
    first: Int64Array = np.searchsorted(block, block, side="left").astype(np.int64)
    return first


def window_panel(panel: Panel, first: int, stop: int) -> Panel:
    """Return rows [first, stop) of `panel` as a panel of their own, every column kept, column-major: the
    layout the kernels are compiled for and walk (each stock's history), so they copy nothing more."""
    fields = ("open", "high", "low", "close", "prev_close", "volume", "amount", "st", "listing_index")
    rows = {name: np.asfortranarray(getattr(panel, name)[first:stop]) for name in fields}
    return Panel(dates=panel.dates[first:stop], symbols=panel.symbols, **rows)


def window_start(row: int, lookback: int) -> int:
    """Return the first row of the Kelly window refreshed at `row`: `lookback` sessions ending at `row`."""
    if lookback < 1:
        raise ValueError(f"lookback must be >= 1 session, was {lookback}")
    return max(row - lookback + 1, 0)


def window_trades(
    panel: Panel,
    strategy: Strategy,
    row: int,
    *,
    lookback: int = DEFAULT_STATS_LOOKBACK,
    fee_rate: float = DEFAULT_FEE_RATE,
    signals: StrategySignals | LatestSignals | None = None,
) -> ClosedTrades:
    """Return the trades `kelly_at` counts at `row`: the strategy run on the window alone (flat at its first
    row), closed by `row`; rows are the window's, columns the panel's."""
    first = window_start(row, lookback)
    if first > 0 or signals is None:
        panel = window_panel(panel, first, row + 1)
        signals = strategy.latest(panel)
    trades = closed_trades(panel, signals, fee_rate=fee_rate)
    keep = trades.exit_row <= row - first
    return ClosedTrades(
        column=trades.column[keep],
        entry_row=trades.entry_row[keep],
        exit_row=trades.exit_row[keep],
        ret=trades.ret[keep],
    )


def kelly_at(
    panel: Panel,
    strategy: Strategy,
    row: int,
    *,
    lookback: int = DEFAULT_STATS_LOOKBACK,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
    fee_rate: float = DEFAULT_FEE_RATE,
    signals: StrategySignals | LatestSignals | None = None,
) -> KellyStats:
    """Return p and b refreshed at `row`'s close: the strategy run on the `lookback` sessions ending at `row`
    alone (flat at the first), its closed trades (`window_trades`) shrunk as `kelly_stats` does (module
    docstring).

    When the window starts at the panel's first row, pass the panel's `signals`: the strategy and the trade
    simulation are causal (row t reads rows <= t, the adjustment factor starts at the first row), so the
    panel's trades closed by `row` are the window's, bit for bit, without running the strategy again.
    """
    trades = window_trades(panel, strategy, row, lookback=lookback, fee_rate=fee_rate, signals=signals)
    return kelly_stats(trades, panel.symbols, prior_strength=prior_strength)
