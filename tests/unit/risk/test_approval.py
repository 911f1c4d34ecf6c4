import hashlib
import hmac
import json
from decimal import Decimal

import pytest
from risk_factories import DAY, SECRET, make_order

from alphamoe.errors import ApprovalError, ConfigurationError
from alphamoe.events.payloads import OrderApproved
from alphamoe.risk.approval import canonical_order, sign, verify


def approved(secret: bytes = SECRET) -> OrderApproved:
    order = make_order(reasons=("kelly p=0.6 b=1.5",))
    return OrderApproved(trading_day=DAY, order=order, checks=("CASH",), signature=sign(order, secret))


def test_canonical_order_when_built_then_sorted_compact_json_of_the_model() -> None:
    order = make_order()
    text = canonical_order(order)
    assert json.loads(text) == order.model_dump(mode="json")
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":")).encode()


def test_sign_when_called_then_hmac_sha256_hex_of_canonical_order() -> None:
    order = make_order()
    assert sign(order, SECRET) == hmac.new(SECRET, canonical_order(order), hashlib.sha256).hexdigest()


def test_verify_when_untouched_then_passes_also_after_json_round_trip() -> None:
    decision = approved()
    verify(decision, SECRET)
    verify(OrderApproved.model_validate_json(decision.model_dump_json()), SECRET)


@pytest.mark.parametrize(
    "change",
    [{"quantity": 100_000}, {"limit_price": Decimal("10.99")}, {"symbol": "600004.SH"}, {"reasons": ()}],
)
def test_verify_when_order_changed_after_approval_then_approval_error(change: dict[str, object]) -> None:
    decision = approved()
    tampered_order = decision.order.model_copy(update=change)
    tampered = OrderApproved(
        trading_day=DAY, order=tampered_order, checks=decision.checks, signature=decision.signature
    )
    with pytest.raises(ApprovalError, match="changed after approval"):
        verify(tampered, SECRET)


def test_verify_when_signed_with_another_secret_then_approval_error() -> None:
    with pytest.raises(ApprovalError, match="another secret"):
        verify(approved(b"someone-else"), SECRET)


def test_verify_when_signature_missing_then_approval_error() -> None:
    unsigned = approved().model_copy(update={"signature": ""})
    with pytest.raises(ApprovalError, match="no approval signature"):
        verify(unsigned, SECRET)


def test_sign_when_secret_empty_then_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        sign(make_order(), b"")


def test_canonical_order_when_json_round_trip_with_chinese_reasons_then_same_bytes() -> None:
    order = make_order(reasons=("止损 ×0.5", "kelly f*=1.234e-05")).model_copy(update={"kelly_fraction": 0.00001234})
    again = type(order).model_validate_json(order.model_dump_json())
    assert canonical_order(again) == canonical_order(order)
    assert "止损".encode() in canonical_order(order)
    assert json.loads(canonical_order(order)) == order.model_dump(mode="json")
