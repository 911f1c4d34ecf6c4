"""One session's orders, decided exactly as live: the scan's picks with the router's verdicts → size_batch → RiskEngine.

Both backtest engines call `DayDecider.decide` with their own account state, so they differ only in how
orders fill. Decisions of session d read row d−1 of the signals (bars up to D−1's close) and D's pre-open
reference (prev_close, ST, listing day, band: published before the open), never D's prices.
The picks and their verdicts come precomputed (`backtest.picks`, `backtest.routing`): quant-only, or the
live router's symbolic panel (`BacktestConfig.route`).
The trading state is ACTIVE throughout: the kill switch's drawdown/daily-loss triggers need a person to
resume, so a backtest measures the strategy with sizing and the per-order limits, not the switch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from alphamoe.backtest.config import BacktestConfig
from alphamoe.backtest.kelly import KellySchedule
from alphamoe.backtest.market import BacktestMarket
from alphamoe.backtest.picks import VERDICTS, Picks
from alphamoe.backtest.reference import SessionReference
from alphamoe.backtest.routing import pick_signals
from alphamoe.backtest.trusted import trusted
from alphamoe.events.payloads import OrderApproved, OrderProposed, SignalRouted
from alphamoe.portfolio import AccountState
from alphamoe.risk.engine import RiskEngine
from alphamoe.risk.facts import MarketFacts
from alphamoe.risk.state import TradingState
from alphamoe.sizing.allocate import size_batch
from alphamoe.strategy.base import StrategySignals

# approvals are signed as live (and bound as simulated: `Binding.backtest`); they never leave the process, so a
# fixed key suffices, but the engine refuses keys under 32 bytes as it does for a deployment's
BACKTEST_SECRET = b"alphamoe-backtest-approval-signing-key"


@dataclass(frozen=True)
class Leg:
    """One strategy of a strategy book: its signals, Kelly statistics and routed picks over the shared market."""

    strategy: str
    signals: StrategySignals
    kelly: KellySchedule
    picks: Picks


@dataclass
class DayDecider:
    """The live size and risk code over precomputed signals; one instance per backtest run.

    With a strategy `book` (every strategy's `Leg`, in book order) a session's picks are every strategy's,
    tagged with it, in one batch as the live `scan_book` emits them; a holding exits when any strategy
    exits it (the union of `ScanCompleted.exits`); sizing bets each on its share of the capital
    (`SizingConfig.strategy_capital`, set from the same book as live).
    """

    market: BacktestMarket
    signals: StrategySignals
    picks: Picks
    kelly: KellySchedule
    strategy: str
    config: BacktestConfig
    industries: Mapping[str, str] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)
    book: tuple[Leg, ...] = ()

    def __post_init__(self) -> None:
        self.risk = RiskEngine(self.config.risk, BACKTEST_SECRET, self.config.commission)
        # industries feed the industry caps of sizing and risk; a sealed limit-up board on D−1 is already
        # not eligible, and names (for the delisting period) are not in the panel: those facts stay empty
        self.facts = MarketFacts(industries=self.industries)
        self.days = self.market.panel.days
        self._cols = {s: i for i, s in enumerate(self.market.panel.symbols)}
        self.legs = self.book or (Leg(self.strategy, self.signals, self.kelly, self.picks),)

    def decide(self, row: int, account: AccountState) -> list[OrderProposed]:
        """Return the approved orders of session `row` (sells first, then buys by order id), as risk ordered them."""
        t = row - 1
        if t < 0:  # the panel's first session has no bars before it to decide on
            return []
        symbols = self.market.panel.symbols
        held = [(p.symbol, self._cols[p.symbol]) for p in account.positions]
        routed: list[SignalRouted] = []
        picks: list[int] = []
        for leg in self.legs:
            at = leg.picks.at(t)
            if at.stop > at.start:
                picks += leg.picks.cols[at].tolist()
                routed += _routed(self.market, leg, t, at)
        # the scan's exits (ScanCompleted.exits: any strategy's) of the stocks sizing looks at: holdings are
        # sold, and a pick one strategy of a book exits is not bought, as live
        looked_at = np.array([i for _, i in held] + picks, dtype=np.int64)
        exiting = np.zeros(len(looked_at), dtype=bool)
        for leg in self.legs:
            exiting |= leg.signals.exits[t, looked_at]
        exits = sorted({symbols[i] for i in looked_at[exiting].tolist()})
        if not picks and not exits:
            return []
        day = self.days[row]
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


def _routed(market: BacktestMarket, leg: Leg, t: int, at: slice) -> list[SignalRouted]:
    picks = leg.picks
    routed = pick_signals(market, leg.signals, leg.kelly, leg.strategy, t, picks.cols[at])
    verdicts, confidence = picks.verdict[at].tolist(), picks.confidence[at].tolist()
    return [
        # trusted: the signal comes from validated arrays and the verdict from the router
        trusted(
            SignalRouted,
            trading_day=signal.trading_day,
            signal=signal,
            verdict=VERDICTS[verdicts[rank]],
            confidence=confidence[rank],
            gate=(),
            opinions=(),
            reasoning_summary=picks.summaries[k],
        )
        for rank, (k, signal) in enumerate(zip(range(at.start, at.stop), routed, strict=True))
    ]
