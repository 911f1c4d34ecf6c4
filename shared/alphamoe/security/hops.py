"""Signed hops: an HMAC over the CloudEvent's attributes and body, checked before anything is parsed.

The bridge (and any other sender: the clock's receiver, a test, a trader's script holding the key) adds
`x-alphamoe-signature: v1=<hex>` to each POST; a function answers 401 to a request whose signature is
missing or wrong, without decoding its body. The MAC covers every `ce-*` header (sorted, lower-cased), the
content type and the SHA-256 of the body, so neither the routing attributes (type, run id, trading day,
causation) nor the payload can be changed in flight. Cost: one SHA-256 of the body and one HMAC of ~300
bytes (`benchmarks/bench_signing.py`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from functools import lru_cache

from alphamoe.errors import AuthenticationError

SIGNATURE_HEADER = "x-alphamoe-signature"
VERSION = "v1"


@lru_cache(maxsize=8)
def _keyed(key: bytes) -> hmac.HMAC:
    # the HMAC state after absorbing the key, copied per event instead of re-keying each time
    return hmac.new(key, digestmod=hashlib.sha256)


def _canonical(headers: Mapping[str, str], body: bytes) -> bytes:
    lowered = {k.lower(): v for k, v in headers.items()}
    lines = [f"{k}:{lowered[k]}" for k in sorted(lowered) if k.startswith("ce-")]
    lines.append(f"content-type:{lowered.get('content-type', '')}")
    lines.append(hashlib.sha256(body).hexdigest())
    return "\n".join(lines).encode("utf-8")


def signature(headers: Mapping[str, str], body: bytes, key: bytes) -> str:
    """Return the header value (`v1=<hex>`) that signs this HTTP CloudEvent under `key`."""
    mac = _keyed(key).copy()
    mac.update(_canonical(headers, body))
    return f"{VERSION}={mac.hexdigest()}"


def signed(headers: Mapping[str, str], body: bytes, key: bytes) -> dict[str, str]:
    """Return `headers` with the signature header added (any earlier signature replaced)."""
    out = {k: v for k, v in headers.items() if k.lower() != SIGNATURE_HEADER}
    out[SIGNATURE_HEADER] = signature(out, body, key)
    return out


def verify(headers: Mapping[str, str], body: bytes, key: bytes) -> None:
    """Raise AuthenticationError unless `headers` carry this deployment's signature of exactly this event."""
    lowered = {k.lower(): v for k, v in headers.items()}
    given = lowered.get(SIGNATURE_HEADER)
    if not given:
        raise AuthenticationError(f"unsigned event: header {SIGNATURE_HEADER!r} is missing", field=SIGNATURE_HEADER)
    expected = signature({k: v for k, v in lowered.items() if k != SIGNATURE_HEADER}, body, key)
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise AuthenticationError(
            "event signature does not match: signed with another key, or changed after signing",
            field=SIGNATURE_HEADER,
        )
