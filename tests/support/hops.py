"""Talking to functions as the bridge does: every POST signed with the event key (`security.hops`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from alphamoe.events.envelope import Envelope, to_http
from alphamoe.security import hops
from support.keys import APPROVAL_SECRET, EVENT_KEY


def key_env(base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """Return an environment for a function or cluster process: `base` (default os.environ) plus both keys."""
    return {
        **(os.environ if base is None else base),
        "ALPHAMOE_EVENT_KEY": EVENT_KEY.decode(),
        "ALPHAMOE_APPROVAL_SECRET": APPROVAL_SECRET.decode(),
        **extra,
    }


def signed_message(
    event: Envelope[Any] | tuple[Mapping[str, str], bytes], key: bytes = EVENT_KEY
) -> tuple[dict[str, str], bytes]:
    """Return (headers, body) of an event (or of a raw HTTP message) with the hop signature added."""
    headers, body = to_http(event) if isinstance(event, Envelope) else event
    return hops.signed(headers, body, key), body


def signed_post(
    url: str,
    event: Envelope[Any] | tuple[Mapping[str, str], bytes],
    *,
    key: bytes = EVENT_KEY,
    timeout: float = 60,
) -> httpx.Response:
    """POST an event to a function signed as the bridge signs it."""
    headers, body = signed_message(event, key)
    return httpx.post(url, headers=headers, content=body, timeout=timeout)


def unsigned_post(
    url: str, event: Envelope[Any] | tuple[Mapping[str, str], bytes], *, timeout: float = 60
) -> httpx.Response:
    """POST an event without a signature, as an outsider who can reach the function would."""
    headers, body = to_http(event) if isinstance(event, Envelope) else event
    return httpx.post(url, headers=dict(headers), content=body, timeout=timeout)
