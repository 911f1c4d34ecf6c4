"""The approval HMAC: proof for execute that risk passed this exact order (DESIGN.md §5)."""

from __future__ import annotations

import hashlib
import hmac
import json

from alphamoe.errors import ApprovalError, ConfigurationError
from alphamoe.events.payloads import OrderApproved, OrderProposed


def canonical_order(order: OrderProposed) -> bytes:
    """Return the order's canonical bytes: compact JSON with sorted keys, the same after any JSON round trip."""
    return json.dumps(order.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def sign(order: OrderProposed, secret: bytes) -> str:
    """Return the HMAC-SHA256 hex digest of the canonical order under `secret`."""
    if not secret:
        raise ConfigurationError("approval secret is empty; set ALPHAMOE_APPROVAL_SECRET")
    return hmac.new(secret, canonical_order(order), hashlib.sha256).hexdigest()


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
