"""Approvals and proposals as risk and the clock make them, for tests of execute and of the risk stage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import OrderApproved, OrderProposed
from alphamoe.pipeline.stages.risk import RiskStage
from alphamoe.risk.approval import Binding, approve
from alphamoe.security import runs
from alphamoe.types import Side
from support.keys import APPROVAL_SECRET, EVENT_KEY


def approved(
    order: OrderProposed,
    secret: bytes = APPROVAL_SECRET,
    *,
    expires_at: datetime | None = None,
    simulated: bool = True,
    session: date | None = None,
    checks: tuple[str, ...] = ("lot",),
) -> OrderApproved:
    """Return risk's signed approval of `order`: for its own day, simulated, valid for an hour from now by default."""
    binding = Binding(
        session or order.trading_day, expires_at or datetime.now(UTC) + timedelta(hours=1), simulated=simulated
    )
    return approve(order, binding, secret, checks)


def proposal(
    order: OrderProposed,
    run_id: str,
    mode: runs.RunMode = runs.RunMode.SIMULATION,
    key: bytes = EVENT_KEY,
) -> Envelope[Any]:
    """Return `order` as size sends it, in a run the clock started (its token issued for the order's day)."""
    token = runs.issue(key, run_id, order.trading_day, mode)
    return build_event(order, run_id=run_id, source="/alphamoe/size", run_token=token)


def tradable(stage: RiskStage, day: date, count: int) -> list[str]:
    """Return `count` main-board stocks risk would let a buy through on `day` (not ST, delisting or sealed)."""
    reference, facts = stage.data.reference(day), stage.facts.facts(day)
    return [
        s
        for s, r in sorted(reference.items())
        if s.startswith("600") and not r.st and s not in facts.locked_limit_up and s not in facts.delisting
    ][:count]


def buy(
    stage: RiskStage,
    day: date,
    symbol: str,
    quantity: int = 100,
    *,
    account_id: str = "acc",
    order_id: str | None = None,
    index: int = 0,
    size: int = 1,
) -> OrderProposed:
    """Return a buy at the previous close, as size proposes it (its id derived, unless `order_id` forges one)."""
    price = stage.data.reference(day)[symbol].prev_close
    return OrderProposed(
        trading_day=day,
        order_id=order_id or f"{day}:{account_id}:{symbol}:BUY",
        account_id=account_id,
        symbol=symbol,
        side=Side.BUY,
        quantity=quantity,
        limit_price=price,
        reference_price=price,
        target_weight=0.01,
        kelly_fraction=0.1,
        batch_index=index,
        batch_size=size,
    )
