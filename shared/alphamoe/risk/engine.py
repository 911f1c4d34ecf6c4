"""The risk engine: run every rule over a sized batch and sign what passes (the survival floor)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from datetime import date

from alphamoe.errors import ConfigurationError
from alphamoe.events.payloads import OrderApproved, OrderProposed, OrderRejected, RuleViolation
from alphamoe.market.fees import CommissionSchedule
from alphamoe.market.reference import ReferenceData
from alphamoe.portfolio import AccountState
from alphamoe.risk.approval import sign
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.rules import RULES, RiskContext, notional
from alphamoe.risk.state import TradingState
from alphamoe.types import Side

Decision = OrderApproved | OrderRejected


class RiskEngine:
    """Approve (signed) or reject (with every violation) each order of a batch, deterministically."""

    def __init__(self, limits: RiskLimits, secret: bytes, commission: CommissionSchedule) -> None:
        if not secret:
            raise ConfigurationError("risk needs a non-empty approval secret (ALPHAMOE_APPROVAL_SECRET)")
        self.limits = limits
        self._secret = secret
        self.commission = commission

    def evaluate_batch(
        self,
        day: date,
        orders: Sequence[OrderProposed],
        account: AccountState,
        reference: Mapping[str, ReferenceData],
        state: TradingState,
        *,
        approved_today: Collection[str] = (),
    ) -> list[Decision]:
        """Return one decision per order: sells first, then buys, each by order_id.

        Sells go first so their T+1 claims are booked before buys; approved buys commit cash and
        approved sells commit shares for the rest of the batch. `approved_today` holds the ids approved
        by earlier batches of the day (duplicates and the daily cap count them).
        """
        ctx = RiskContext(
            day=day,
            account=account,
            reference=reference,
            limits=self.limits,
            state=state,
            commission=self.commission,
            approved=frozenset(approved_today),
        )
        ordered = sorted(orders, key=lambda o: (o.side != Side.SELL, o.order_id))
        decisions: list[Decision] = []
        for order in ordered:
            violations = [v for _, rule in RULES if (v := rule(order, ctx)) is not None]
            if violations:
                decisions.append(self._reject(day, order, violations, state))
                continue
            decisions.append(
                OrderApproved(
                    trading_day=day,
                    order=order,
                    checks=tuple(code for code, _ in RULES),
                    signature=sign(order, self._secret),
                )
            )
            ctx = _commit(ctx, order)
        return decisions

    @staticmethod
    def _reject(day: date, order: OrderProposed, violations: list[RuleViolation], state: TradingState) -> OrderRejected:
        return OrderRejected(trading_day=day, order=order, violations=tuple(violations), trading_state=state.value)


def _commit(ctx: RiskContext, order: OrderProposed) -> RiskContext:
    # book an approved order against the rest of the batch
    approved = ctx.approved | {order.order_id}
    if order.side == Side.SELL:
        sells = {**ctx.pending_sells, order.symbol: ctx.pending_sells.get(order.symbol, 0) + order.quantity}
        return dataclasses.replace(ctx, pending_sells=sells, approved=approved)
    value = notional(order)
    buys = {**ctx.buy_notional, order.symbol: ctx.buy_notional.get(order.symbol, 0) + value}
    return dataclasses.replace(
        ctx, buy_cost=ctx.buy_cost + value + ctx.fees(order), buy_notional=buys, approved=approved
    )
