"""Settings that cannot size any buy fail at start, naming the settings and the values that would work.

A buy is capped at capital × the position cap and must be worth at least the minimum order value; when the
cap is below the floor no buy is ever proposed (100,000 CNY × 5 % = 5,000 CNY < 20,000 CNY), and a run
would report only "below the minimum order value" every day. `alphamoe run`, `alphamoe backtest` and the
size stage check it before they trade.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from alphamoe.errors import ConfigurationError
from alphamoe.sizing.config import SizingConfig

FLOOR = "ALPHAMOE_SIZING__MIN_ORDER_VALUE"
CAP = "ALPHAMOE_RISK__MAX_POSITION_WEIGHT"
CAPITAL = "ALPHAMOE_INITIAL_CASH"


def check_order_floor(capital: Decimal, config: SizingConfig, *, capital_name: str = CAPITAL) -> None:
    """Raise ConfigurationError when capital × max position weight is below the minimum order value."""
    floor, weight = config.min_order_value, Decimal(str(config.max_position_weight))
    largest = (capital * weight).quantize(Decimal("0.01"), ROUND_FLOOR)
    if floor <= largest:
        return
    fixes = [f"{FLOOR} ≤ {largest}"]
    needed = (floor / capital).quantize(Decimal("0.0001"), ROUND_CEILING)
    if needed <= 1:
        fixes.append(f"{CAP} ≥ {needed}")
    fixes.append(f"{capital_name} ≥ {(floor / weight).quantize(Decimal(1), ROUND_CEILING)}")
    raise ConfigurationError(
        f"{FLOOR}={floor} CNY is above the largest buy the position cap allows: {capital_name}={capital} CNY × "
        f"{CAP}={config.max_position_weight} = {largest} CNY, so no buy would ever be proposed; "
        f"set {' or '.join(fixes)}"
    )
