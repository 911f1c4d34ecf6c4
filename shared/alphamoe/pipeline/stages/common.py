"""What every stage shares: the output list type, payload checks, derived events."""

from __future__ import annotations

from typing import Any, TypeVar

from alphamoe.errors import InvalidPayloadError
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import Payload

P = TypeVar("P", bound=Payload)
Outputs = list[Envelope[Any]]


def expect(envelope: Envelope[Any], model: type[P]) -> P:
    """Return the payload if it is of `model`, else raise the typed error a handler answers 4xx with."""
    if not isinstance(envelope.payload, model):
        raise InvalidPayloadError(f"this function handles {model.EVENT} events, not {envelope.type}", field="type")
    return envelope.payload


def derive(cause: Envelope[Any], payload: Payload, stage: str) -> Envelope[Any]:
    """Build an output event of `stage` caused by `cause` (same run, causation id, replayed run and run token kept)."""
    return build_event(
        payload,
        run_id=cause.run_id,
        source=f"/alphamoe/{stage}",
        causation_id=cause.id,
        replay_of=cause.replay_of,
        run_token=cause.run_token,
    )
