"""The approval HMAC: proof for execute that risk passed this exact order, for one session, until a deadline.

The MAC covers the canonical order and its binding (session, expiry, simulated), so an approval recorded on
one day cannot be sent on another, after its deadline, or to a live broker when it came from a simulation
(DESIGN.md §5).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
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


@dataclass(frozen=True, slots=True)
class Binding:
    """Where and until when an approval may be sent: the same for every order of a batch, so signed bytes are kept.

    `session` is the exchange day the order may be sent in, `expires_at` (timezone-aware) the instant after
    which execute refuses it, `simulated` marks a simulation, replay or backtest: only a paper broker fills it.
    """

    session: date
    expires_at: datetime
    simulated: bool
    canonical: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.expires_at.utcoffset() is None:
            raise ValueError("an approval's expires_at must be timezone-aware")
        # after the order's JSON (which holds no raw newline): "\n<session>|<expiry in UTC>|<0 or 1>"
        text = f"\n{self.session.isoformat()}|{self.expires_at.astimezone(UTC).isoformat()}|{int(self.simulated)}"
        object.__setattr__(self, "canonical", text.encode())

    @classmethod
    def of(cls, approved: OrderApproved) -> Binding:
        return cls(approved.session, approved.expires_at, approved.simulated)

    @classmethod
    def backtest(cls, day: date) -> Binding:
        """The binding of a direct engine call (a backtest): simulated, valid until the day ends (UTC)."""
        return cls(day, datetime.combine(day + timedelta(days=1), time(), UTC), simulated=True)


@lru_cache(maxsize=8)
def _keyed(secret: bytes) -> hmac.HMAC:
    # the HMAC state after absorbing the key, copied per order instead of re-keying each time
    return hmac.new(secret, digestmod=hashlib.sha256)


def sign(order: OrderProposed, binding: Binding, secret: bytes) -> str:
    """Return the HMAC-SHA256 hex digest of the canonical order and its binding under `secret`."""
    if not secret:
        raise ConfigurationError("approval secret is empty; set ALPHAMOE_APPROVAL_SECRET")
    mac = _keyed(secret).copy()
    mac.update(canonical_order(order))
    mac.update(binding.canonical)
    return mac.hexdigest()


def approve(order: OrderProposed, binding: Binding, secret: bytes, checks: tuple[str, ...]) -> OrderApproved:
    """Return the signed approval of `order` for `binding` (the only way an OrderApproved should be made)."""
    return OrderApproved(
        trading_day=order.trading_day,
        order=order,
        checks=checks,
        session=binding.session,
        expires_at=binding.expires_at,
        simulated=binding.simulated,
        signature=sign(order, binding, secret),
    )


def verify(approved: OrderApproved, secret: bytes) -> None:
    """Raise ApprovalError unless `approved.signature` is risk's HMAC of exactly this order and binding."""
    order_id = approved.order.order_id
    if not approved.signature:
        raise ApprovalError(f"order {order_id} carries no approval signature; it was not approved by risk")
    expected = sign(approved.order, Binding.of(approved), secret)
    if not hmac.compare_digest(expected, approved.signature):
        raise ApprovalError(
            f"approval signature of order {order_id} does not match the order and its session, expiry and "
            "simulated flag: it was changed after approval or signed with another secret"
        )


def check_binding(approved: OrderApproved, *, day: date, now: datetime, live_today: date | None) -> None:
    """Raise ApprovalError unless a verified approval may be sent now, for the event's trading `day`.

    Refused: a session other than `day` (or than the order's own day), an approval past `expires_at`, and on
    a live broker (`live_today` is the exchange's today there, None on paper) a simulated approval or one
    for any session but today's.
    """
    order_id, session = approved.order.order_id, approved.session
    if session != day or session != approved.order.trading_day:
        raise ApprovalError(
            f"approval of {order_id} is for session {session}, but the event is for {day} "
            f"(order day {approved.order.trading_day}): refused"
        )
    if now >= approved.expires_at:
        raise ApprovalError(
            f"approval of {order_id} expired at {approved.expires_at.astimezone(UTC).isoformat()} "
            f"(now {now.astimezone(UTC).isoformat()}): refused"
        )
    if live_today is None:
        return
    if approved.simulated:
        raise ApprovalError(
            f"approval of {order_id} comes from a simulation, replay or backtest: only a paper broker may fill it"
        )
    if session != live_today:
        raise ApprovalError(f"approval of {order_id} is for session {session}; the live broker trades {live_today}")
