"""xtquant's constants, vendored, and the translation of its order states to ours (DESIGN.md §6).

The values are copied from xtquant's own `xtquant/xtconstant.py` (as shipped in the xtquant package; read
in the public mirror ai4trade/XtQuant @ 4b167d3d4125e20ba2a12c3c1ed8d91b7b0b6b22, xtquant/xtconstant.py).
xtquant itself is not imported here: it is Windows-only and its package touches the network on import.
When the real module is present, `check_against` compares it with this table before trading.
"""

from __future__ import annotations

from types import ModuleType

from alphamoe.types import OrderStatus

# 账号类型 (account types)
SECURITY_ACCOUNT = 2
CREDIT_ACCOUNT = 3
# 委托类型 (order types)
STOCK_BUY = 23
STOCK_SELL = 24
# 报价类型 (price types)
LATEST_PRICE = 5
FIX_PRICE = 11
# 市场 (markets)
SH_MARKET = 0
SZ_MARKET = 1
# 委托状态 (order states)
ORDER_UNREPORTED = 48  # 未报
ORDER_WAIT_REPORTING = 49  # 待报
ORDER_REPORTED = 50  # 已报
ORDER_REPORTED_CANCEL = 51  # 已报待撤
ORDER_PARTSUCC_CANCEL = 52  # 部成待撤
ORDER_PART_CANCEL = 53  # 部撤
ORDER_CANCELED = 54  # 已撤
ORDER_PART_SUCC = 55  # 部成
ORDER_SUCCEEDED = 56  # 已成
ORDER_JUNK = 57  # 废单
ORDER_UNKNOWN = 255  # 未知

STATUS_XT2AM: dict[int, OrderStatus] = {
    ORDER_UNREPORTED: OrderStatus.SUBMITTED,
    ORDER_WAIT_REPORTING: OrderStatus.SUBMITTED,
    ORDER_REPORTED: OrderStatus.ACCEPTED,
    # 51/52 are "reported, cancel pending": still open (vnpy maps them to cancelled; they are not)
    ORDER_REPORTED_CANCEL: OrderStatus.PENDING_CANCEL,
    ORDER_PARTSUCC_CANCEL: OrderStatus.PENDING_CANCEL,
    ORDER_PART_CANCEL: OrderStatus.CANCELLED,
    ORDER_CANCELED: OrderStatus.CANCELLED,
    ORDER_PART_SUCC: OrderStatus.PARTIALLY_FILLED,
    ORDER_SUCCEEDED: OrderStatus.FILLED,
    ORDER_JUNK: OrderStatus.REJECTED,
    ORDER_UNKNOWN: OrderStatus.UNKNOWN,
}
"""xtquant order_status → alphamoe order state; any code not listed is UNKNOWN (reconcile, never terminal)."""

OPEN_XT = frozenset(
    {
        ORDER_UNREPORTED,
        ORDER_WAIT_REPORTING,
        ORDER_REPORTED,
        ORDER_REPORTED_CANCEL,
        ORDER_PARTSUCC_CANCEL,
        ORDER_PART_SUCC,
        ORDER_UNKNOWN,
    }
)

_CHECKED = (
    "STOCK_BUY",
    "STOCK_SELL",
    "FIX_PRICE",
    "ORDER_UNREPORTED",
    "ORDER_WAIT_REPORTING",
    "ORDER_REPORTED",
    "ORDER_REPORTED_CANCEL",
    "ORDER_PARTSUCC_CANCEL",
    "ORDER_PART_CANCEL",
    "ORDER_CANCELED",
    "ORDER_PART_SUCC",
    "ORDER_SUCCEEDED",
    "ORDER_JUNK",
    "ORDER_UNKNOWN",
)


def to_status(code: int) -> OrderStatus:
    return STATUS_XT2AM.get(code, OrderStatus.UNKNOWN)


def check_against(module: ModuleType) -> list[str]:
    """Return the constants whose value differs in the installed xtquant (empty when they agree)."""
    here = globals()
    return [
        f"{name}: vendored {here[name]}, xtquant {getattr(module, name, None)}"
        for name in _CHECKED
        if getattr(module, name, None) != here[name]
    ]
