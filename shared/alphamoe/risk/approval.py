"""The approval HMAC: proof for execute that risk passed this exact order (DESIGN.md §5)."""

from __future__ import annotations

import hmac

from pydantic_core import to_json

from alphamoe.errors import ApprovalError, ConfigurationError
from alphamoe.events.payloads import OrderApproved, OrderProposed


def canonical_order(order: OrderProposed) -> bytes:
    """Return the order's canonical bytes: compact UTF-8 JSON with sorted keys, the same after any JSON round trip.

    pydantic-core's encoder writes it (about five times faster than `json.dumps`, which risk pays per
    approval); it differs from `json.dumps` only in how it spells floats below 1e-4 (`0.00001`, not `1e-05`).
    """
    fields = order.model_dump(mode="json")
    return to_json({key: fields[key] for key in sorted(fields)})


def sign(order: OrderProposed, secret: bytes) -> str:
    """Return the HMAC-SHA256 hex digest of the canonical order under `secret`."""
    if not secret:
        raise ConfigurationError("approval secret is empty; set ALPHAMOE_APPROVAL_SECRET")
    return hmac.digest(secret, canonical_order(order), "sha256").hex()  # one-shot C HMAC-SHA256


def verify(approved: OrderApproved, secret: bytes) -> None:
    """Raise ApprovalError unless `approved.signature` is risk's HMAC of exactly `approved.order`."""
    order_id = approved.order.order_id
    if not approved.signature:
        raise ApprovalError(f"order {order_id} carries no approval signature; it was not approved by risk")
    expected = sign(approved.order, secret)
    if not hmac.compare_digest(expected, approved.signature):
        raise ApprovalError(
            f"approval signature of order {order_id} does not match the order: it was changed after "
            "approval or signed with another secret"
        )
