"""The fast canonical form writes the very bytes of the sorted `model_dump` it replaced (signatures unchanged)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic_core import to_json
from support.risk_factories import make_order

from alphamoe.events.payloads import OrderProposed
from alphamoe.risk.approval import canonical_order


def dumped(order: OrderProposed) -> bytes:
    fields = order.model_dump(mode="json")
    return to_json({key: fields[key] for key in sorted(fields)})


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"kelly_fraction": 1.234e-05, "target_weight": 1.0},
        {"reasons": ("止损 ×0.5", 'quote " and \\ and \n', "😀"), "signal_id": "é-1"},
        {"limit_price": Decimal("10.1"), "signal_id": None},
        {"kelly_fraction": -0.0, "batch_index": 7, "batch_size": 9},
    ],
)
def test_canonical_order_when_any_field_values_then_same_bytes_as_sorted_model_dump(change: dict[str, object]) -> None:
    order = make_order().model_copy(update=change)
    assert canonical_order(order) == dumped(order)
    again = OrderProposed.model_validate_json(order.model_dump_json())
    assert canonical_order(again) == dumped(order)


def test_canonical_order_when_subclass_then_dumped_with_its_own_fields() -> None:
    class Tagged(OrderProposed):
        tag: str = "x"

    order = Tagged(**make_order().model_dump())
    assert canonical_order(order) == dumped(order)
    assert b'"tag":"x"' in canonical_order(order)
