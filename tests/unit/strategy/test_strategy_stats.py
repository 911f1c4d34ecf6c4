from __future__ import annotations

import numpy as np
import pytest
from support.hand_panels import hand_panel

from alphamoe.strategy.base import StrategySignals
from alphamoe.strategy.stats import (
    ClosedTrades,
    closed_trades,
    kelly_stats,
    next_session_orders,
    strategy_stats,
)

FEE = 0.0005


def _signals(entries: np.ndarray, exits: np.ndarray) -> StrategySignals:
    return StrategySignals(entries=entries, exits=exits, score=np.zeros(entries.shape), features={})


def _rows(n: int, cols: int, rows_by_col: dict[int, list[int]]) -> np.ndarray:
    out = np.zeros((n, cols), dtype=bool)
    for col, rows in rows_by_col.items():
        out[rows, col] = True
    return out


def _trades(by_column: dict[int, list[float]]) -> ClosedTrades:
    cols = [c for c, rets in by_column.items() for _ in rets]
    rets = [r for c in by_column for r in by_column[c]]
    zeros = np.zeros(len(rets), dtype=np.int64)
    return ClosedTrades(column=np.array(cols, dtype=np.int64), entry_row=zeros, exit_row=zeros, ret=np.array(rets))


def test_closed_trades_when_signals_fire_then_fills_at_next_open_match_a_hand_count() -> None:
    n = 12
    close = np.linspace(10.0, 12.2, n)[:, None] * np.array([[1.0, 2.0]])
    opens = np.round(close * np.array([[0.99, 1.01]]), 2)
    opens[5, 0], opens[8, 0] = 10.0, 11.8  # column 0: a losing, then a winning exit price
    panel = hand_panel(close, ("600000.SH", "000001.SZ"), open_=opens)
    # column 0: entry@1 exit@4, entry@6 exit@7, entry@9 never exits (open at the end), entry@11 (last row)
    # column 1: entry@2 exit@10 (fills at 11), exit signal on the last row is ignored
    entries = _rows(n, 2, {0: [1, 6, 9, 11], 1: [2]})
    exits = _rows(n, 2, {0: [4, 7], 1: [10, 11]})

    trades = closed_trades(panel, _signals(entries, exits), fee_rate=FEE)

    hand = [(0, 2, 5), (0, 7, 8), (1, 3, 11)]  # (column, fill row of the entry, fill row of the exit)
    assert list(zip(trades.column, trades.entry_row, trades.exit_row, strict=True)) == hand
    # VectorBT's trade return: pnl net of both fees over the entry notional
    expected = [(opens[x, c] * (1 - FEE) - opens[e, c] * (1 + FEE)) / opens[e, c] for c, e, x in hand]
    np.testing.assert_allclose(trades.ret, expected, rtol=1e-10)
    assert trades.ret[0] < 0 < trades.ret[1]


def test_closed_trades_when_stock_went_ex_rights_then_returns_use_adjusted_opens() -> None:
    close = np.array([[10.0], [10.0], [10.2], [5.2], [5.3], [5.4]]) * np.ones((1, 2))
    prev_close = np.array([[10.0], [10.0], [10.0], [5.1], [5.2], [5.3]]) * np.ones((1, 2))  # 10-for-10 bonus
    panel = hand_panel(close, ("600000.SH", "600001.SH"), prev_close=prev_close, open_=prev_close)

    trades = closed_trades(panel, _signals(_rows(6, 2, {0: [0]}), _rows(6, 2, {0: [3]})), fee_rate=0.0)

    # bought at 10.0 (row 1 open), sold at 5.2 (row 4 open) = 10.4 before the bonus: +4%, not −48%
    assert trades.column.tolist() == [0]
    assert trades.ret.tolist() == pytest.approx([5.2 * 2 / 10.0 - 1])


def test_next_session_orders_when_next_day_is_suspended_then_signal_trades_at_the_resumption_open() -> None:
    signal = _rows(6, 1, {0: [1]})
    traded = np.array([[True], [True], [False], [False], [True], [True]])

    assert np.flatnonzero(next_session_orders(signal, traded)[:, 0]).tolist() == [4]


def test_kelly_stats_when_trades_given_then_shrinks_toward_universe_by_hand() -> None:
    # universe: wins 0.10, 0.20, 0.06 (mean 0.12), losses 0.05, 0.05 (mean 0.05): p_U = 3/5, b_U = 2.4
    trades = _trades({0: [0.10, -0.05, 0.20, -0.05], 1: [0.06]})

    stats = kelly_stats(trades, ("600000.SH", "600001.SH", "600002.SH"), prior_strength=4)

    assert stats.universe_p_win == pytest.approx(0.6)
    assert stats.universe_payoff == pytest.approx(2.4)
    assert stats.n_trades.tolist() == [4, 1, 0]
    assert stats.wins.tolist() == [2, 1, 0]
    # stock 0: p = (2 + 4·0.6)/(4 + 4) = 0.55, b̂ = 0.15/0.05 = 3, b = (4·3 + 4·2.4)/8 = 2.7
    # stock 1: no loss, so b̂ = b_U; stock 2: no trade, so the prior alone
    np.testing.assert_allclose(stats.p_win, [0.55, (1 + 2.4) / 5, 0.6])
    np.testing.assert_allclose(stats.payoff, [2.7, 2.4, 2.4])


def test_kelly_stats_when_boards_differ_then_a_thin_stock_leans_on_its_board_by_hand() -> None:
    # main board: 1 win of 0.10, 3 losses of 0.05; STAR: 3 wins of 0.20, 1 loss of 0.10 → p_U = 1/2,
    # b_U = mean win (0.10 + 3·0.20)/4 = 0.175 / mean loss (3·0.05 + 0.10)/4 = 0.0625 = 2.8
    trades = _trades({0: [0.10, -0.05, -0.05, -0.05], 1: [0.20, 0.20, 0.20, -0.10]})
    symbols = ("600000.SH", "688001.SH", "600001.SH", "688002.SH")

    stats = kelly_stats(trades, symbols, prior_strength=4)

    # boards: main p = (1 + 4·0.5)/8 = 0.375, b = (4·(0.10/0.05) + 4·2.8)/8 = 2.4; STAR p = (3 + 2)/8 = 0.625,
    # b = (4·(0.20/0.10) + 4·2.8)/8 = 2.4: the stocks without a trade take their own board's figures
    np.testing.assert_allclose(stats.prior_p_win, [0.375, 0.625, 0.375, 0.625])
    np.testing.assert_allclose(stats.p_win[2:], [0.375, 0.625])
    np.testing.assert_allclose(stats.payoff[2:], [2.4, 2.4])
    # a stock with trades: p = (w + k·p_board)/(n + k) = (1 + 4·0.375)/8
    assert stats.p_win[0] == pytest.approx((1 + 4 * 0.375) / 8)


def test_kelly_stats_when_no_trades_then_even_bet_prior() -> None:
    stats = kelly_stats(_trades({}), ("600000.SH",))

    assert (stats.universe_p_win, stats.universe_payoff) == (0.5, 1.0)
    assert stats.p_win.tolist() == [0.5]
    assert stats.payoff.tolist() == [1.0]


def test_kelly_stats_when_universe_has_no_loss_then_payoff_prior_is_one_and_p_counts_zero_returns() -> None:
    stats = kelly_stats(_trades({0: [0.1, 0.0], 1: [0.2]}), ("600000.SH", "600001.SH"), prior_strength=2)

    assert stats.universe_payoff == 1.0
    assert stats.universe_p_win == pytest.approx(2 / 3)  # the flat trade is neither a win nor a loss
    np.testing.assert_allclose(stats.payoff, [1.0, 1.0])
    assert np.all(stats.payoff > 0)


def test_kelly_stats_when_trade_order_changes_then_universe_prior_is_bit_identical() -> None:
    rng = np.random.default_rng(5)
    rets = rng.normal(0.0, 0.05, size=200)
    cols = rng.integers(0, 30, size=200)
    order = rng.permutation(200)
    zeros = np.zeros(200, dtype=np.int64)
    symbols = tuple(f"{600000 + i:06d}.SH" for i in range(30))

    a = kelly_stats(ClosedTrades(cols, zeros, zeros, rets), symbols)
    b = kelly_stats(ClosedTrades(cols[order], zeros, zeros, rets[order]), symbols)

    assert (a.universe_p_win, a.universe_payoff) == (b.universe_p_win, b.universe_payoff)


def test_kelly_stats_when_prior_strength_negative_then_value_error() -> None:
    with pytest.raises(ValueError, match="prior_strength must be >= 0, was -1"):
        kelly_stats(_trades({}), ("600000.SH",), prior_strength=-1)


def test_strategy_stats_when_run_on_a_panel_then_counts_only_closed_trades_per_column() -> None:
    close = np.linspace(10.0, 11.0, 8)[:, None] * np.ones((1, 2))
    panel = hand_panel(close, ("600000.SH", "600001.SH"))
    entries = _rows(8, 2, {0: [0, 3], 1: [6]})
    exits = _rows(8, 2, {0: [2, 5], 1: [7]})

    stats = strategy_stats(panel, _signals(entries, exits), prior_strength=0)

    assert stats.n_trades.tolist() == [2, 0]
    assert stats.symbols == panel.symbols
