"""The scan stage: market.open → signal.generated × N, then scan.completed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from alphamoe.events.envelope import Envelope
from alphamoe.events.payloads import MarketOpen
from alphamoe.pipeline.stages.common import Outputs, derive, expect
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.pipeline.stages.protocol import BaseStage
from alphamoe.scan.scanner import scan_book
from alphamoe.strategy.base import Strategy
from alphamoe.strategy.stats import DEFAULT_STATS_REFRESH, kelly_panel_sessions


class ScanStage(BaseStage):
    """market.open → one signal.generated per candidate, then scan.completed (the batch's size).

    `strategy` is one strategy, or the strategies of a book (ALPHAMOE_SCAN__STRATEGIES): one batch of all.
    """

    name = "scan"

    def __init__(
        self, data: MarketData, strategy: Strategy | Sequence[Strategy], *, lookback: int, max_signals: int = 200
    ) -> None:
        self.data, self.lookback, self.max_signals = data, lookback, max_signals
        self.strategies = (strategy,) if isinstance(strategy, Strategy) else tuple(strategy)

    def warm(self) -> None:
        """Load the numba kernels (from the image's NUMBA_CACHE_DIR) before readiness, not at the open."""
        from alphamoe.scan.warm import warm

        warm()

    def handle(self, envelope: Envelope[Any]) -> Outputs:
        opened = expect(envelope, MarketOpen)
        previous = self.data.require_trading_day(opened.trading_day)
        panel, reference = self._inputs(opened.trading_day, previous)
        result = scan_book(
            panel,
            opened.trading_day,
            reference,
            self.strategies,
            max_signals=self.max_signals,
            stats_lookback=self.lookback,
        )
        outputs: Outputs = [derive(envelope, s, self.name) for s in result.signals]
        outputs.append(derive(envelope, result.completed, self.name))
        return outputs

    def _inputs(self, day: date, previous: date) -> tuple[Any, Any]:
        store = self.data.store  # the panel starts at the first session of the Kelly window D−1's block reads
        sessions = kelly_panel_sessions(store.sessions(), previous, self.lookback, DEFAULT_STATS_REFRESH)
        if isinstance(store.root, Path):  # a local store: the scan's compact one-pass read (cold-start budget)
            from alphamoe.scan.load import load_scan_inputs

            inputs = load_scan_inputs(store, day, sessions)
            return inputs.panel, inputs.reference
        return store.panel(until=previous, lookback=sessions), self.data.reference(day)
