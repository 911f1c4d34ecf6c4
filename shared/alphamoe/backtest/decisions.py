"""One session's orders, decided exactly as live: scan candidates → size_batch → RiskEngine.

Both backtest engines call `DayDecider.decide` with their own account state, so they differ only in how
orders fill. Decisions of session d read row d−1 of the signals (bars up to D−1's close) and D's pre-open
reference (prev_close, ST, listing day, band: published before the open), never D's prices.
The router is not run: every candidate is confirmed at `BacktestConfig.confidence` (a quant-only backtest).
The trading state is ACTIVE throughout: the kill switch's drawdown/daily-loss triggers need a person to
resume, so a backtest measures the strategy with sizing and the per-order limits, not the switch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.kelly import KellySchedule
from alphamoe.backtest.market import BacktestMarket, fen_price
from alphamoe.backtest.reference import SessionReference
from alphamoe.backtest.trusted import trusted
from alphamoe.events.payloads import OrderApproved, OrderProposed, SignalGenerated, SignalRouted
from alphamoe.market.boards import board_of
from alphamoe.portfolio import AccountState
from alphamoe.risk.engine import RiskEngine
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.state import TradingState
from alphamoe.sizing.allocate import size_batch
from alphamoe.strategy.base import StrategySignals
from alphamoe.strategy.stats import KellyStats
from alphamoe.types import Verdict

BACKTEST_SECRET = b"alphamoe-backtest"  # approvals are signed as live; the key only has to be non-empty
_board_of = cache(board_of)  # a pure function of the code, asked for every signal of every session


def candidate_mask(market: BacktestMarket, signals: StrategySignals) -> npt.NDArray[np.bool_]:
    """Return where row t holds a scan candidate: an entry with a score, on a stock eligible on session t+1."""
    with np.errstate(invalid="ignore"):
        candidates = signals.entries & np.isfinite(signals.score)
    candidates[:-1] &= market.eligible[1:]
    candidates[-1] = False
    return candidates


@dataclass
class DayDecider:
    """The live size and risk code over precomputed signals; one instance per backtest run."""

    market: BacktestMarket
    signals: StrategySignals
    kelly: KellySchedule
    strategy: str
    config: BacktestConfig
    industries: Mapping[str, str] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.risk = RiskEngine(self.config.risk, BACKTEST_SECRET, self.config.commission)
        # industries feed the industry caps of sizing and risk; a sealed limit-up board on D−1 is already
        # not eligible, and names (for the delisting period) are not in the panel: those facts stay empty
        self.facts = MarketFacts(industries=self.industries)
        self.days = [pd.Timestamp(d).date() for d in self.market.panel.dates]
        self._cols = {s: i for i, s in enumerate(self.market.panel.symbols)}
        self.candidates = candidate_mask(self.market, self.signals)

    def decide(self, row: int, account: AccountState) -> list[OrderProposed]:
        """Return the approved orders of session `row` (sells first, then buys by order id), as risk ordered them."""
        t = row - 1
        if t < 0:  # the panel's first session has no bars before it to decide on
            return []
        symbols = self.market.panel.symbols
        held = [(p.symbol, self._cols[p.symbol]) for p in account.positions]
        exiting = self.signals.exits[t, np.array([i for _, i in held], dtype=np.int64)].tolist()
        exits = [s for (s, _), e in zip(held, exiting, strict=True) if e]
        picks = self._picks(t)
        if not picks and not exits:
            return []
        day = self.days[row]
        stats = self.kelly.at(t)
        routed = self._routed(day, t, picks, stats)
        # D's pre-open reference for every stock sizing may look at: the candidates and every holding
        # (exits, and trims of holdings over a cap); a stock without a bar on D has none, as live
        reference = SessionReference(self.market, day, row, [(symbols[i], i) for i in picks] + held)
        orders = size_batch(
            day, routed, exits, account, reference, self.config.sizing, self.config.commission, facts=self.facts
        )
        if not orders:
            return []
        decisions = self.risk.evaluate_batch(day, orders, account, reference, TradingState.ACTIVE, facts=self.facts)
        approved: list[OrderProposed] = []
        for decision in decisions:
            if isinstance(decision, OrderApproved):
                approved.append(decision.order)
            else:
                self.rejected.update(v.code for v in decision.violations)
        return approved

    def _picks(self, t: int) -> list[int]:
        # the scan's choice: eligible entries of row t, by score descending then symbol, at most max_signals
        cols = np.flatnonzero(self.candidates[t])
        if not len(cols):
            return []
        order = np.lexsort((cols, -self.signals.score[t, cols]))
        return [int(i) for i in cols[order][: self.config.max_signals]]

    def _routed(self, day: date, t: int, picks: list[int], stats: KellyStats) -> list[SignalRouted]:
        # each column the day's picks read, taken at once from the arrays (the same values, as Python scalars)
        cols = np.asarray(picks, dtype=np.int64)
        symbols = self.market.panel.symbols
        prefix = f"{day.isoformat()}:{self.strategy}:"
        columns = zip(
            picks,
            self.signals.score[t, cols].tolist(),
            self.market.close[t, cols].tolist(),
            self.market.prev_close[t + 1, cols].tolist(),
            stats.p_win[cols].tolist(),
            stats.payoff[cols].tolist(),
            stats.n_trades[cols].tolist(),
            strict=True,
        )
        return [
            self._signal(day, prefix, symbols[i], rank, score, close, prev, p, b, n)
            for rank, (i, score, close, prev, p, b, n) in enumerate(columns)
        ]

    def _signal(
        self,
        day: date,
        prefix: str,
        symbol: str,
        rank: int,
        score: float,
        close: int,
        prev_close: int,
        p_win: float,
        payoff: float,
        n_trades: int,
    ) -> SignalRouted:
        # trusted: the values come from validated arrays, and validating ~100 signals a day for ten
        # years would cost more than the whole rest of the loop
        signal = trusted(
            SignalGenerated,
            trading_day=day,
            signal_id=prefix + symbol,
            symbol=symbol,
            board=_board_of(symbol),
            strategy=self.strategy,
            rank=rank,
            score=score,
            reference_price=fen_price(close),
            prev_close=fen_price(prev_close),
            p_win=p_win,
            payoff=payoff,
            n_trades=n_trades,
            features={},
            st=False,
        )
        return trusted(
            SignalRouted,
            trading_day=day,
            signal=signal,
            verdict=Verdict.CONFIRM,
            confidence=self.config.confidence,
            gate=(),
            opinions=(),
            reasoning_summary="backtest: quant-only, confirmed",
        )
