"""Signals with the scan's twelve features, and hand-written stub experts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from support.features import HEALTHY

from alphamoe.events.payloads import ExpertOpinion, SignalGenerated
from alphamoe.router.experts import Competence
from alphamoe.types import Board, ExpertKind, Verdict

MakeSignal = Callable[..., SignalGenerated]


@pytest.fixture
def make_signal() -> MakeSignal:
    def make(
        signal_id: str = "2024-05-06:trend_breakout:600519.SH",
        *,
        symbol: str = "600519.SH",
        board: Board = Board.MAIN,
        strategy: str = "trend_breakout",
        drop: tuple[str, ...] = (),
        **features: float,
    ) -> SignalGenerated:
        merged = {k: v for k, v in {**HEALTHY, **features}.items() if k not in drop}
        return SignalGenerated(
            trading_day=date(2024, 5, 6),
            signal_id=signal_id,
            symbol=symbol,
            board=board,
            strategy=strategy,
            rank=0,
            score=1.0,
            reference_price=Decimal("10.00"),
            prev_close=Decimal("10.00"),
            features=merged,
            p_win=0.55,
            payoff=1.5,
            n_trades=40,
        )

    return make


class StubExpert:
    """Says the same thing of every signal, or raises `error` if given one.

    `kind` is what the registry knows it as; `claims` is the kind its opinions say (a lying expert), by
    default the same.
    """

    def __init__(
        self,
        name: str,
        verdict: Verdict = Verdict.CONFIRM,
        *,
        confidence: float = 0.8,
        weight: float = 1.0,
        can_veto: bool = False,
        competence: Competence | None = None,
        error: Exception | None = None,
        kind: ExpertKind = ExpertKind.SYMBOLIC,
        claims: ExpertKind | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.claims = claims or kind
        self.verdict = verdict
        self.confidence = confidence
        self.weight = weight
        self.can_veto = can_veto
        self.competence = competence or Competence()
        self.error = error

    def judge(self, signal: SignalGenerated) -> ExpertOpinion:
        if self.error is not None:
            raise self.error
        return ExpertOpinion(
            expert=self.name,
            kind=self.claims,
            verdict=self.verdict,
            confidence=self.confidence,
            reasoning=f"stub says {self.verdict.value}",
        )


@pytest.fixture
def stub() -> Callable[..., StubExpert]:
    def make(name: str, verdict: Verdict = Verdict.CONFIRM, **kwargs: Any) -> StubExpert:
        return StubExpert(name, verdict, **kwargs)

    return make
