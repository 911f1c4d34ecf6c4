"""Assemble one expert's point-in-time input for one signal, and hash it for the decision record.

The input names the company explicitly (symbol, name, exchange), so a model's answer about another
company can be told apart and refused (router.grounding).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.events.payloads import SignalGenerated
from alphamoe.evidence.items import EvidenceItem, EvidenceKind
from alphamoe.evidence.store import DatedEvidence, decision_cutoff


class ScanStatistics(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    strategy: str
    rank: int
    score: float
    p_win: float
    payoff: float
    n_trades: int


EXCHANGES = {"SH": "Shanghai Stock Exchange", "SZ": "Shenzhen Stock Exchange", "BJ": "Beijing Stock Exchange"}


class Company(BaseModel):
    """Who the signal is about, stated in every prompt."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    symbol: str
    name: str = Field(description="the listed name; empty when the store has none")
    exchange: str


def company_of(symbol: str, name: str = "") -> Company:
    return Company(symbol=symbol, name=name, exchange=EXCHANGES.get(symbol.rpartition(".")[2], "unknown"))


class Evidence(BaseModel):
    """Everything one expert may see of one signal: nothing published at or after `cutoff`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    company: Company
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
    anonymised: bool = Field(
        False, exclude=True, description="names, codes and dates hidden (evaluate.anonymise); not sent, not hashed"
    )

    def dated_items(self) -> tuple[EvidenceItem, ...]:
        """Return the dated items sent (fundamentals, the stock's news, market news), in that order."""
        return (*self.fundamentals, *self.news, *self.market_news)

    def input_hash(self) -> str:
        """Return the SHA-256 of the canonical JSON: equal inputs, equal hash, whatever the run."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class EvidenceProvider:
    """Price/volume features and scan statistics always; dated items when a store is configured."""

    def __init__(
        self,
        store: DatedEvidence | None = None,
        *,
        max_items: int = 8,
        names: Callable[[str, date], str] | None = None,
    ) -> None:
        """`names(symbol, day)`: the name the stock had before `day` (evidence.identity.PointInTimeNames)."""
        self.store = store
        self.max_items = max_items
        self.names = names

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
            company=company_of(signal.symbol, self.names(signal.symbol, signal.trading_day) if self.names else ""),
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
