"""Hand-built orders, accounts and pre-open reference data for the risk tests."""

from datetime import date
from decimal import Decimal
from typing import Any

from alphamoe.events.payloads import OrderProposed
from alphamoe.market.limits import limit_prices
from alphamoe.market.reference import ReferenceData
from alphamoe.portfolio import AccountState, Position
from alphamoe.types import Side
from support.keys import APPROVAL_SECRET

DAY = date(2024, 3, 5)
SECRET = APPROVAL_SECRET


def make_ref(symbol: str, prev_close: str = "10.00", *, st: bool = False) -> ReferenceData:
    pc = Decimal(prev_close)
    return ReferenceData(symbol, DAY, pc, st, 100, limit_prices(symbol, pc, DAY, st=st, listing_day_index=100))


REFERENCE = {
    "600000.SH": make_ref("600000.SH"),
    "600004.SH": make_ref("600004.SH"),
    "600009.SH": make_ref("600009.SH"),
    "600006.SH": make_ref("600006.SH", st=True),  # ST: 5% band in 2024, [9.50, 10.50]
    "688001.SH": make_ref("688001.SH", "30.00"),
}


def make_account(cash: str = "1000000", *positions: Position) -> AccountState:
    if not positions:
        positions = (
            Position(symbol="600004.SH", quantity=1000, sellable=600, cost=Decimal("10000"), last_price=Decimal("10")),
        )
    return AccountState(account_id="acc", trading_day=DAY, cash=Decimal(cash), positions=positions)


def make_order(
    symbol: str = "600000.SH",
    side: Side = Side.BUY,
    quantity: int = 1000,
    limit: str = "10.20",
    *,
    order_id: str | None = None,
    **fields: Any,
) -> OrderProposed:
    return OrderProposed(
        trading_day=fields.pop("trading_day", DAY),
        order_id=order_id or f"{DAY.isoformat()}:acc:{symbol}:{side.value}",
        account_id=fields.pop("account_id", "acc"),
        symbol=symbol,
        side=side,
        quantity=quantity,
        limit_price=Decimal(limit),
        reference_price=Decimal("10.00"),
        target_weight=0.01,
        kelly_fraction=0.2,
        **fields,
    )
