"""The approval HMAC: proof for execute that risk passed this exact order (DESIGN.md §5)."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_json
from typing_extensions import TypedDict

from alphamoe.errors import ApprovalError, ConfigurationError
from alphamoe.events.payloads import OrderApproved, OrderProposed

_FIELDS = tuple(sorted(OrderProposed.model_fields))
# the order's fields as a TypedDict in sorted key order: pydantic-core serialises a dict of the model's own
# attribute values with the model's own field serializers, so the bytes equal the sorted model_dump(mode="json")
_SORTED_ORDER: Any = TypedDict(  # type: ignore[misc]
    "_SortedOrder", {name: OrderProposed.model_fields[name].rebuild_annotation() for name in _FIELDS}
)
_SORTED_SERIALIZER = TypeAdapter(_SORTED_ORDER).serializer


def canonical_order(order: OrderProposed) -> bytes:
    """Return the order's canonical bytes: compact UTF-8 JSON with sorted keys, the same after any JSON round trip.

    pydantic-core's encoder writes it (about five times faster than `json.dumps`, which risk pays per
    approval); it differs from `json.dumps` only in how it spells floats below 1e-4 (`0.00001`, not `1e-05`).
    An exact OrderProposed is written straight from its attributes in sorted order (no intermediate dump);
    anything else (a subclass) goes through `model_dump` and gives the same bytes for the same fields.
    """
    if type(order) is OrderProposed:
        values = order.__dict__
        return _SORTED_SERIALIZER.to_json({name: values[name] for name in _FIELDS})
    fields = order.model_dump(mode="json")
    return to_json({key: fields[key] for key in sorted(fields)})


@lru_cache(maxsize=8)
def _keyed(secret: bytes) -> hmac.HMAC:
    # the HMAC state after absorbing the key, copied per order instead of re-keying each time
    return hmac.new(secret, digestmod=hashlib.sha256)


def sign(order: OrderProposed, secret: bytes) -> str:
    """Return the HMAC-SHA256 hex digest of the canonical order under `secret`."""
    if not secret:
        raise ConfigurationError("approval secret is empty; set ALPHAMOE_APPROVAL_SECRET")
    mac = _keyed(secret).copy()
    mac.update(canonical_order(order))
    return mac.hexdigest()


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
