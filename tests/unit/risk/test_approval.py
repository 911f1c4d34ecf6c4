import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from support.risk_factories import DAY, SECRET, make_order

from alphamoe.errors import ApprovalError, ConfigurationError
from alphamoe.events.payloads import OrderApproved
from alphamoe.risk.approval import Binding, approve, canonical_order, check_binding, sign, verify

EXPIRES = datetime(2024, 3, 5, 7, 0, tzinfo=UTC)  # 15:00 in Shanghai
BINDING = Binding(DAY, EXPIRES, simulated=False)


def approved(secret: bytes = SECRET, binding: Binding = BINDING) -> OrderApproved:
    return approve(make_order(reasons=("kelly p=0.6 b=1.5",)), binding, secret, ("CASH",))


def test_canonical_order_when_built_then_sorted_compact_json_of_the_model() -> None:
    order = make_order()
    text = canonical_order(order)
    assert json.loads(text) == order.model_dump(mode="json")
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":")).encode()


def test_sign_when_called_then_hmac_sha256_hex_of_canonical_order_and_binding() -> None:
    order = make_order()
    message = canonical_order(order) + b"\n2024-03-05|2024-03-05T07:00:00+00:00|0"
    assert sign(order, BINDING, SECRET) == hmac.new(SECRET, message, hashlib.sha256).hexdigest()


def test_approve_when_built_then_carries_its_binding() -> None:
    decision = approved()
    assert (decision.session, decision.expires_at, decision.simulated) == (DAY, EXPIRES, False)
    assert decision.trading_day == DAY


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
    tampered = OrderApproved(**{**dict(decision), "order": decision.order.model_copy(update=change)})
    with pytest.raises(ApprovalError, match="changed after approval"):
        verify(tampered, SECRET)


@pytest.mark.parametrize(
    "change",
    [
        {"expires_at": EXPIRES + timedelta(days=400)},  # a later deadline
        {"expires_at": EXPIRES + timedelta(microseconds=1)},
        {"session": date(2025, 7, 1)},  # another day
        {"simulated": True},
    ],
    ids=["expiry extended", "expiry by 1 µs", "session moved", "simulated flipped"],
)
def test_verify_when_binding_tampered_then_signature_breaks(change: dict[str, object]) -> None:
    decision = approved()
    tampered = OrderApproved(**{**dict(decision), **change})
    with pytest.raises(ApprovalError, match="changed after approval"):
        verify(tampered, SECRET)


def test_verify_when_signed_with_another_secret_then_approval_error() -> None:
    with pytest.raises(ApprovalError, match="another secret"):
        verify(approved(b"someone-else-s-approval-secret-key-123"), SECRET)


def test_verify_when_signature_missing_then_approval_error() -> None:
    unsigned = approved().model_copy(update={"signature": ""})
    with pytest.raises(ApprovalError, match="no approval signature"):
        verify(unsigned, SECRET)


def test_sign_when_secret_empty_then_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        sign(make_order(), BINDING, b"")


def test_binding_when_naive_expiry_then_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Binding(DAY, datetime(2024, 3, 5, 15, 0), simulated=False)


def test_check_binding_when_session_is_the_events_day_and_not_expired_then_passes() -> None:
    check_binding(approved(), day=DAY, now=EXPIRES - timedelta(seconds=1), live_today=DAY)


def test_check_binding_when_session_differs_from_events_day_then_refused() -> None:
    with pytest.raises(ApprovalError, match="for session 2024-03-05, but the event is for 2024-03-06"):
        check_binding(approved(), day=date(2024, 3, 6), now=EXPIRES - timedelta(hours=1), live_today=None)


def test_check_binding_when_past_expiry_then_refused() -> None:
    with pytest.raises(ApprovalError, match="expired at 2024-03-05T07:00:00"):
        check_binding(approved(), day=DAY, now=EXPIRES, live_today=None)


def test_check_binding_when_simulated_on_live_broker_then_refused_but_paper_accepts() -> None:
    simulated = approved(binding=Binding(DAY, EXPIRES, simulated=True))
    check_binding(simulated, day=DAY, now=EXPIRES - timedelta(hours=1), live_today=None)  # paper
    with pytest.raises(ApprovalError, match="only a paper broker may fill it"):
        check_binding(simulated, day=DAY, now=EXPIRES - timedelta(hours=1), live_today=DAY)


def test_check_binding_when_live_and_session_not_today_then_refused() -> None:
    with pytest.raises(ApprovalError, match="the live broker trades 2024-03-06"):
        check_binding(approved(), day=DAY, now=EXPIRES - timedelta(hours=1), live_today=date(2024, 3, 6))


def test_canonical_order_when_json_round_trip_with_chinese_reasons_then_same_bytes() -> None:
    order = make_order(reasons=("止损 ×0.5", "kelly f*=1.234e-05")).model_copy(update={"kelly_fraction": 0.00001234})
    again = type(order).model_validate_json(order.model_dump_json())
    assert canonical_order(again) == canonical_order(order)
    assert "止损".encode() in canonical_order(order)
    assert json.loads(canonical_order(order)) == order.model_dump(mode="json")
