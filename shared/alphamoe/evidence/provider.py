"""Assemble one expert's point-in-time input for one signal, and hash it for the decision record."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from alphamoe.events.payloads import SignalGenerated
from alphamoe.evidence.items import EvidenceItem, EvidenceKind
from alphamoe.evidence.store import EvidenceStore, decision_cutoff


class ScanStatistics(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    strategy: str
    rank: int
    score: float
    p_win: float
    payoff: float
    n_trades: int


class Evidence(BaseModel):
    """Everything one expert may see of one signal: nothing published at or after `cutoff`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    symbol: str
    board: str
    st: bool
    trading_day: date
    cutoff: datetime
    features: dict[str, float]
    scan: ScanStatistics
    fundamentals: tuple[EvidenceItem, ...] = ()
    news: tuple[EvidenceItem, ...] = ()
    market_news: tuple[EvidenceItem, ...] = ()

    def input_hash(self) -> str:
        """Return the SHA-256 of the canonical JSON: equal inputs, equal hash, whatever the run."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class EvidenceProvider:
    """Price/volume features and scan statistics always; dated items when a store is configured."""

    def __init__(self, store: EvidenceStore | None = None, *, max_items: int = 8) -> None:
        self.store = store
        self.max_items = max_items

    def evidence(self, signal: SignalGenerated, kinds: Collection[str] = ()) -> Evidence:
        """Return the signal's evidence with the item kinds asked for: "fundamentals", "news", "market_news"."""
        cutoff = decision_cutoff(signal.trading_day)
        found: dict[str, tuple[EvidenceItem, ...]] = {}
        if self.store is not None:
            wanted = {
                "fundamentals": (EvidenceKind.FUNDAMENTAL, signal.symbol),
                "news": (EvidenceKind.NEWS, signal.symbol),
                "market_news": (EvidenceKind.NEWS, None),
            }
            for name in kinds:
                kind, symbol = wanted[name]
                found[name] = self.store.before(kind, symbol, cutoff, limit=self.max_items)
        return Evidence(
            symbol=signal.symbol,
            board=signal.board.value,
            st=signal.st,
            trading_day=signal.trading_day,
            cutoff=cutoff,
            features={k: round(v, 6) for k, v in sorted(signal.features.items())},
            scan=ScanStatistics(
                strategy=signal.strategy,
                rank=signal.rank,
                score=round(signal.score, 6),
                p_win=round(signal.p_win, 6),
                payoff=round(signal.payoff, 6),
                n_trades=signal.n_trades,
            ),
            **found,
        )
