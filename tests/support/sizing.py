"""Hand-built signals, accounts and reference data for the sizing tests, and `size`: one batch through size_batch."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from alphamoe.events.payloads import OrderProposed, SignalGenerated, SignalRouted
from alphamoe.market.boards import board_of
from alphamoe.market.fees import CommissionSchedule
from alphamoe.market.limits import limit_prices
from alphamoe.market.reference import ReferenceData
from alphamoe.portfolio import AccountState, Position
from alphamoe.sizing.allocate import size_batch
from alphamoe.sizing.config import SizingConfig
from alphamoe.types import Verdict

DAY = date(2024, 3, 5)
COMMISSION = CommissionSchedule()


def ref(symbol: str, prev_close: str = "10.00", *, st: bool = False, listing_index: int = 100) -> ReferenceData:
    pc = Decimal(prev_close)
    band = limit_prices(symbol, pc, DAY, st=st, listing_day_index=listing_index)
    return ReferenceData(symbol, DAY, pc, st, listing_index, band)


def routed(
    symbol: str,
    *,
    p: float = 0.6,
    b: float = 1.5,
    confidence: float = 0.8,
    verdict: Verdict = Verdict.CONFIRM,
    prev_close: str = "10.00",
    signal_id: str | None = None,
) -> SignalRouted:
    signal = SignalGenerated(
        trading_day=DAY,
        signal_id=signal_id or f"sig-{symbol}",
        symbol=symbol,
        board=board_of(symbol),
        strategy="trend",
        rank=0,
        score=1.0,
        reference_price=Decimal(prev_close),
        prev_close=Decimal(prev_close),
        features={},
        p_win=p,
        payoff=b,
        n_trades=60,
    )
    return SignalRouted(
        trading_day=DAY,
        signal=signal,
        verdict=verdict,
        confidence=confidence,
        gate=(),
        opinions=(),
        reasoning_summary="",
    )


UNCAPPED = SizingConfig(
    kelly_fraction=1.0,
    max_position_weight=1.0,
    max_board_weight=1.0,
    max_total_weight=1.0,
    cash_reserve=0.0,
    min_order_value=Decimal(0),
)
"""Full Kelly, no caps, no reserve, no minimum order: what a small-account case needs to reach cash and fees."""


def account(cash: str = "1000000", *positions: Position) -> AccountState:
    return AccountState(account_id="acc", trading_day=DAY, cash=Decimal(cash), positions=positions)


def holding(symbol: str, quantity: int, sellable: int | None = None, price: str = "10.00") -> Position:
    return Position(
        symbol=symbol,
        quantity=quantity,
        sellable=quantity if sellable is None else sellable,
        cost=Decimal(price) * quantity,
        last_price=Decimal(price),
    )


def size(
    signals: list[SignalRouted],
    state: AccountState | None = None,
    config: SizingConfig | None = None,
    exits: tuple[str, ...] = (),
    reference: dict[str, ReferenceData] | None = None,
) -> list[OrderProposed]:
    if reference is None:
        reference = {r.signal.symbol: ref(r.signal.symbol, str(r.signal.prev_close)) for r in signals}
    return size_batch(DAY, signals, exits, state or account(), reference, config or SizingConfig(), COMMISSION)
