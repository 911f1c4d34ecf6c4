"""Quant-only routing (route "none"): every signal confirmed without the experts, to measure the quant alone.

One definition for the live route stage (`ALPHAMOE_ROUTE__MODE=none`, `alphamoe run --route none`) and
the backtest (`alphamoe backtest --route none`), so a quant-only live day and a quant-only backtest agree.
Kept free of the graph (LangGraph) so the backtest's quant-only path does not load it.
"""

from __future__ import annotations

from collections.abc import Sequence

from alphamoe.events.payloads import SignalGenerated, SignalRouted
from alphamoe.types import Verdict

QUANT_ONLY = "quant only: confirmed without the experts (route none)"


def quant_only_verdict(confidence: float = 1.0) -> tuple[Verdict, float, str]:
    """The verdict, confidence and reasoning summary route "none" gives every signal."""
    return Verdict.CONFIRM, confidence, QUANT_ONLY


def quant_only_routes(signals: Sequence[SignalGenerated], confidence: float = 1.0) -> list[SignalRouted]:
    """`quant_only_verdict` on every signal, sorted by signal_id as `Router.route_batch` returns them."""
    verdict, confidence, summary = quant_only_verdict(confidence)
    return [
        SignalRouted(
            trading_day=s.trading_day,
            signal=s,
            verdict=verdict,
            confidence=confidence,
            gate=(),
            opinions=(),
            reasoning_summary=summary,
        )
        for s in sorted(signals, key=lambda s: s.signal_id)
    ]
