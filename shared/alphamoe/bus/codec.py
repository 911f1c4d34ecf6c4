"""Envelopes as Redis stream fields: the binary-mode HTTP CloudEvent (headers + body) the bridge delivers as is."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from alphamoe.events.envelope import Envelope, from_http, to_http
from alphamoe.events.payloads import Payload


def encode(envelope: Envelope[Any]) -> dict[str, str]:
    """Return the stream fields of an event: routing keys beside the exact HTTP message to deliver."""
    headers, body = to_http(envelope)
    return {
        "id": envelope.id,
        "type": envelope.type,
        "runid": envelope.run_id,
        "tradingday": envelope.trading_day.isoformat(),
        "causationid": envelope.causation_id or "",
        "headers": json.dumps(headers, separators=(",", ":")),
        "body": body.decode("utf-8"),
    }


def http_message(fields: Mapping[str, str]) -> tuple[dict[str, str], bytes]:
    """Return (headers, body) of a stream entry, ready to POST."""
    headers: dict[str, str] = json.loads(fields["headers"])
    return headers, fields["body"].encode("utf-8")


def decode(fields: Mapping[str, str]) -> Envelope[Payload]:
    """Validate a stream entry back into its envelope (raises EventError naming the field)."""
    headers, body = http_message(fields)
    return from_http(headers, body)


def structured(fields: Mapping[str, str]) -> dict[str, Any]:
    """Return the entry as a structured-mode CloudEvent document (one JSONL line of an export)."""
    headers, body = http_message(fields)
    document: dict[str, Any] = {k[3:]: v for k, v in headers.items() if k.lower().startswith("ce-")}
    document["datacontenttype"] = headers.get("content-type", "application/json")
    document["data"] = json.loads(body)
    return document


def from_structured(document: Mapping[str, Any]) -> Envelope[Payload]:
    """Validate one structured-mode CloudEvent document (an export line) into its envelope."""
    headers = {f"ce-{k}": str(v) for k, v in document.items() if k not in ("data", "datacontenttype")}
    headers["content-type"] = str(document.get("datacontenttype", "application/json"))
    return from_http(headers, json.dumps(document.get("data")).encode("utf-8"))
