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
from decimal import Decimal
from functools import lru_cache

import numpy as np
import pandas as pd

from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.kelly import KellySchedule
from alphamoe.backtest.market import BacktestMarket
from alphamoe.backtest.trusted import trusted
from alphamoe.events.payloads import OrderApproved, OrderProposed, SignalGenerated, SignalRouted
from alphamoe.market.bands import NO_LIMIT_FEN
from alphamoe.market.boards import board_of
from alphamoe.market.limits import NO_LIMIT_UP, PriceBand
from alphamoe.market.reference import ReferenceData
from alphamoe.portfolio import AccountState
from alphamoe.risk.engine import RiskEngine
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.state import TradingState
from alphamoe.sizing.allocate import size_batch
from alphamoe.strategy.base import StrategySignals
from alphamoe.strategy.stats import KellyStats
from alphamoe.types import Verdict

BACKTEST_SECRET = b"alphamoe-backtest"  # approvals are signed as live; the key only has to be non-empty


@lru_cache(maxsize=1 << 16)
def fen_price(fen: int) -> Decimal:
    """Return whole fen as the exact CNY Decimal (cached: the same prices recur every session)."""
    return Decimal(int(fen)).scaleb(-2)


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
        with np.errstate(invalid="ignore"):
            self.candidates = self.signals.entries & np.isfinite(self.signals.score)
        self.candidates[:-1] &= self.market.eligible[1:]  # row t: may be bought on session t+1
        self.candidates[-1] = False

    def decide(self, row: int, account: AccountState) -> list[OrderProposed]:
        """Return the approved orders of session `row` (sells first, then buys by order id), as risk ordered them."""
        t = row - 1
        if t < 0:  # the panel's first session has no bars before it to decide on
            return []
        symbols = self.market.panel.symbols
        exits = [p.symbol for p in account.positions if self.signals.exits[t, self._col(p.symbol)]]
        picks = self._picks(t)
        if not picks and not exits:
            return []
        day = self.days[row]
        stats = self.kelly.at(t)
        routed = [self._routed(day, t, symbols[i], i, rank, stats) for rank, i in enumerate(picks)]
        # D's pre-open reference for every stock sizing may look at: the candidates and every holding
        # (exits, and trims of holdings over a cap); a stock without a bar on D has none, as live
        held = [(p.symbol, self._col(p.symbol)) for p in account.positions]
        reference = {
            s: self._reference(day, row, i)
            for s, i in [(symbols[i], i) for i in picks] + held
            if self.market.traded[row, i]
        }
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

    def _col(self, symbol: str) -> int:
        return self._cols[symbol]

    def _picks(self, t: int) -> list[int]:
        # the scan's choice: eligible entries of row t, by score descending then symbol, at most max_signals
        cols = np.flatnonzero(self.candidates[t])
        if not len(cols):
            return []
        order = np.lexsort((cols, -self.signals.score[t, cols]))
        return [int(i) for i in cols[order][: self.config.max_signals]]

    def _routed(self, day: date, t: int, symbol: str, i: int, rank: int, stats: KellyStats) -> SignalRouted:
        # trusted: the values come from validated arrays, and validating ~100 signals a day for ten
        # years would cost more than the whole rest of the loop
        signal = trusted(
            SignalGenerated,
            trading_day=day,
            signal_id=f"{day.isoformat()}:{self.strategy}:{symbol}",
            symbol=symbol,
            board=board_of(symbol),
            strategy=self.strategy,
            rank=rank,
            score=float(self.signals.score[t, i]),
            reference_price=fen_price(self.market.close[t, i]),
            prev_close=fen_price(self.market.prev_close[t + 1, i]),
            p_win=float(stats.p_win[i]),
            payoff=float(stats.payoff[i]),
            n_trades=int(stats.n_trades[i]),
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

    def _reference(self, day: date, row: int, i: int) -> ReferenceData:
        m = self.market
        up = int(m.up[row, i])
        return ReferenceData(
            symbol=m.panel.symbols[i],
            day=day,
            prev_close=fen_price(m.prev_close[row, i]),
            st=bool(m.panel.st[row, i]),
            listing_index=int(m.panel.listing_index[row, i]),
            band=PriceBand(fen_price(m.down[row, i]), NO_LIMIT_UP if up >= NO_LIMIT_FEN else fen_price(up)),
        )
