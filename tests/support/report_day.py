"""A small hand-built day: two signals (one confirmed and bought, one vetoed), one order rejected by a rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import (
    ExpertOpinion,
    MarketOpen,
    OrderProposed,
    OrderRejected,
    Payload,
    RuleViolation,
    ScanCompleted,
    SignalGenerated,
    SignalRouted,
)
from alphamoe.portfolio import AccountState, Position
from alphamoe.types import Board, ExpertKind, Side, Verdict

DAY = date(2025, 3, 31)
RUN = "20250331-test"


def signal(symbol: str, rank: int) -> SignalGenerated:
    return SignalGenerated(
        trading_day=DAY, signal_id=f"{DAY}:tb:{symbol}", symbol=symbol, board=Board.MAIN, strategy="tb", rank=rank,
        score=2.0 - rank, reference_price=Decimal("10.00"), prev_close=Decimal("10.00"), features={"rsi_14": 60.0},
        p_win=0.55, payoff=1.5, n_trades=40,
    )  # fmt: skip


def opinion(expert: str, verdict: Verdict, reasoning: str) -> ExpertOpinion:
    return ExpertOpinion(expert=expert, kind=ExpertKind.SYMBOLIC, verdict=verdict, confidence=0.8, reasoning=reasoning)


def order(symbol: str, signal_id: str) -> OrderProposed:
    return OrderProposed(
        trading_day=DAY, order_id=f"{DAY}:paper:{symbol}:BUY", account_id="paper", symbol=symbol, side=Side.BUY,
        quantity=1000, limit_price=Decimal("10.20"), reference_price=Decimal("10.00"), target_weight=0.01,
        kelly_fraction=0.2, signal_id=signal_id,
    )  # fmt: skip


def day_events() -> list[Envelope[Any]]:
    good, bad = signal("600000.SH", 0), signal("600004.SH", 1)
    routed_good = SignalRouted(
        trading_day=DAY, signal=good, verdict=Verdict.CONFIRM, confidence=0.8, gate=(),
        opinions=(opinion("trend", Verdict.CONFIRM, "MA5 above MA20: trend intact"),), reasoning_summary="confirm",
    )  # fmt: skip
    routed_bad = SignalRouted(
        trading_day=DAY, signal=bad, verdict=Verdict.VETO, confidence=0.7, gate=(),
        opinions=(opinion("risk_skeptic", Verdict.VETO, "RSI(14) 86 at or above 80: overheated"),),
        reasoning_summary="veto",
    )  # fmt: skip
    proposed = order("600000.SH", good.signal_id)
    rejected = OrderRejected(
        trading_day=DAY, order=proposed, trading_state="ACTIVE",
        violations=(RuleViolation(code="max_name_weight", message="weight 0.12 above the 0.10 cap"),),
    )  # fmt: skip
    payloads: list[Payload] = [
        MarketOpen(trading_day=DAY),
        good,
        bad,
        ScanCompleted(trading_day=DAY, strategy="tb", universe_size=2, candidates=2, data_until=date(2025, 3, 28)),
        routed_good,
        routed_bad,
        proposed,
        rejected,
    ]
    return [build_event(p, run_id=RUN, source=f"/alphamoe/{i}") for i, p in enumerate(payloads)]


def account(last_price: str) -> AccountState:
    """Cash 990,000 and 100 shares of 600519.SH valued at `last_price`: the open at 100, the close at 105."""
    held = Position(
        symbol="600519.SH", quantity=100, sellable=100, cost=Decimal("9800"), last_price=Decimal(last_price)
    )
    return AccountState(account_id="paper", trading_day=DAY, cash=Decimal("990000"), positions=(held,))


OPENING, CLOSING = account("100"), account("105")
