"""CloudEvent envelope helpers on `cloudevents` 2.x: build, parse and validate, HTTP binary mode.

Every alphamoe event carries the extensions `tradingday` (YYYY-MM-DD) and `runid`, and a derived event
keeps its cause's id in `causationid`. A replayed run's events carry `replayof` (the original run id), which
derived events keep, so the route function answers LLM calls from the decision record only. Event ids
are UUIDv5 of (run, type, payload), so a rerun under the same run id produces the same ids and idempotent
consumers recognise it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from cloudevents.core.bindings.http import HTTPMessage, from_http_event, to_binary_event
from cloudevents.core.exceptions import BaseCloudEventException, CloudEventValidationError
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from alphamoe.errors import EventError, InvalidPayloadError, MissingAttributeError, UnknownEventTypeError, clip
from alphamoe.events.payloads import EVENT_TYPES, Payload, event_type_of

P = TypeVar("P", bound=Payload)
_ID_NAMESPACE = uuid.UUID("6f1c3e2a-8d4b-5a7e-9c10-a1b2c3d4e5f6")
REQUIRED_EXTENSIONS = ("tradingday", "runid")


@dataclass(frozen=True, slots=True)
class Envelope(Generic[P]):
    """A validated alphamoe event: CloudEvent attributes plus its typed payload."""

    id: str
    type: str
    source: str
    trading_day: date
    run_id: str
    causation_id: str | None
    payload: P
    replay_of: str | None = None
    """The recorded run this event replays (CloudEvent extension `replayof`): LLM experts answer from the record."""
    run_token: str | None = None
    """The issuer's proof that this run was started by this deployment (extension `runtoken`, `security.runs`)."""

    def to_cloudevent(self) -> CloudEvent:
        attributes: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "specversion": "1.0",
            "datacontenttype": "application/json",
            "time": datetime.now(UTC),
            "tradingday": self.trading_day.isoformat(),
            "runid": self.run_id,
        }
        if self.causation_id:
            attributes["causationid"] = self.causation_id
        if self.replay_of:
            attributes["replayof"] = self.replay_of
        if self.run_token:
            attributes["runtoken"] = self.run_token
        return CloudEvent(attributes=attributes, data=self.payload.model_dump(mode="json"))


def event_id(run_id: str, payload: Payload) -> str:
    """Return the deterministic event id of a payload within a run."""
    body = payload.model_dump_json()
    return str(uuid.uuid5(_ID_NAMESPACE, f"{run_id}|{event_type_of(payload)}|{body}"))


def build_event(
    payload: P,
    *,
    run_id: str,
    source: str,
    causation_id: str | None = None,
    replay_of: str | None = None,
    run_token: str | None = None,
) -> Envelope[P]:
    """Wrap a payload into an envelope; the trading day comes from the payload itself."""
    return Envelope(
        id=event_id(run_id, payload),
        type=event_type_of(payload),
        source=source,
        trading_day=payload.trading_day,
        run_id=run_id,
        causation_id=causation_id,
        payload=payload,
        replay_of=replay_of,
        run_token=run_token,
    )


def _describe(exc: CloudEventValidationError) -> tuple[str, str]:
    field = next(iter(exc.errors), "event")
    reasons = "; ".join(str(e) for errs in exc.errors.values() for e in errs)
    return field, reasons


def parse_event(event: CloudEvent) -> Envelope[Payload]:
    """Validate a CloudEvent against alphamoe's contracts and return its typed envelope.

    Raises UnknownEventTypeError, MissingAttributeError or InvalidPayloadError, each naming the field.
    """
    attributes = event.get_attributes()
    event_type = str(attributes.get("type", ""))
    model = EVENT_TYPES.get(event_type)
    if model is None:
        known = ", ".join(sorted(EVENT_TYPES))
        raise UnknownEventTypeError(f"unknown event type {clip(event_type)!r}; expected one of {known}", field="type")
    for name in REQUIRED_EXTENSIONS:
        if not attributes.get(name):
            raise MissingAttributeError(
                f"CloudEvent attribute {name!r} is missing; every alphamoe event carries it", field=name
            )
    content_type = attributes.get("datacontenttype") or "application/json"
    if not str(content_type).startswith("application/json"):
        raise EventError(
            f"datacontenttype {clip(str(content_type))!r} is not application/json", field="datacontenttype"
        )
    try:
        trading_day = date.fromisoformat(str(attributes["tradingday"]))
    except ValueError:
        raise MissingAttributeError(
            f"CloudEvent attribute 'tradingday' was {clip(str(attributes['tradingday']))!r}, not YYYY-MM-DD",
            field="tradingday",
        ) from None
    data = event.get_data()
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except RecursionError:
            raise InvalidPayloadError("event data is nested too deeply", field="data") from None
        except ValueError as exc:
            raise InvalidPayloadError(f"event data is not JSON: {clip(str(exc))}", field="data") from None
    try:
        payload = model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = clip(".".join(str(p) for p in first["loc"]))
        raise InvalidPayloadError(
            f"{event_type} payload field {where or 'data'!r}: {first['msg']} (was {clip(repr(first.get('input')))})"
            + (f"; {exc.error_count() - 1} more error(s)" if exc.error_count() > 1 else ""),
            field=f"data.{where}" if where else "data",
        ) from None
    if payload.trading_day != trading_day:
        raise InvalidPayloadError(
            f"payload trading_day {payload.trading_day} differs from attribute tradingday {trading_day}",
            field="data.trading_day",
        )
    causation = attributes.get("causationid")
    replay_of = attributes.get("replayof")
    run_token = attributes.get("runtoken")
    return Envelope(
        id=str(attributes["id"]),
        type=event_type,
        source=str(attributes["source"]),
        trading_day=trading_day,
        run_id=str(attributes["runid"]),
        causation_id=str(causation) if causation else None,
        payload=payload,
        replay_of=str(replay_of) if replay_of else None,
        run_token=str(run_token) if run_token else None,
    )


def _require_id(headers: dict[str, str], body: bytes) -> None:
    # cloudevents fills a missing id with a fresh UUID; idempotent consumers need the sender's own id.
    if any(k.startswith("ce-") for k in headers):
        present = bool(headers.get("ce-id"))
    else:
        try:
            present = bool(json.loads(body).get("id"))
        except (ValueError, AttributeError):
            return  # not JSON: the decoder reports it
    if not present:
        raise MissingAttributeError("CloudEvent attribute 'id' is missing", field="id")


def to_http(envelope: Envelope[Any]) -> tuple[dict[str, str], bytes]:
    """Return (headers, body) of the event in HTTP binary content mode."""
    message = to_binary_event(envelope.to_cloudevent())
    return dict(message.headers), message.body


def from_http(headers: dict[str, str], body: bytes) -> Envelope[Payload]:
    """Decode an HTTP CloudEvent (binary or structured) and validate it; errors name the field."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        _require_id(lowered, body)
        event = from_http_event(HTTPMessage(headers=lowered, body=body))
    except CloudEventValidationError as exc:
        field, reasons = _describe(exc)
        raise MissingAttributeError(
            f"invalid CloudEvent attribute {clip(field)!r}: {clip(reasons)}", field=clip(field)
        ) from None
    except RecursionError:
        raise InvalidPayloadError("event JSON is nested too deeply", field="data") from None
    except (BaseCloudEventException, ValueError, KeyError, TypeError, AttributeError) as exc:
        # AttributeError: a structured-mode body that is JSON but not an object (`[1]`, `"x"`, `null`)
        raise EventError(f"not a CloudEvent: {clip(str(exc))}", field="event") from None
    if not isinstance(event, CloudEvent):
        raise EventError("only CloudEvents 1.0 are accepted", field="specversion")
    return parse_event(event)
