"""Keys the tests sign with: 32 bytes or more and no placeholder, as `security.keys.require_key` demands.

Fixed (not generated) so a failing test's signatures can be reproduced; never used outside the tests.
"""

from __future__ import annotations

APPROVAL_SECRET = b"alphamoe-tests-approval-hmac-key-7d1f"
"""Risk's approval HMAC key in tests (ALPHAMOE_APPROVAL_SECRET)."""

EVENT_KEY = b"alphamoe-tests-event-hmac-key-4c9b2e0a"
"""The deployment's event key in tests (ALPHAMOE_EVENT_KEY): signed hops and run tokens."""

GATEWAY_TOKEN = "alphamoe-tests-gateway-bearer-token-5e8a"
"""The TAL gateway's shared bearer token in tests (ALPHAMOE_BROKER__TOKEN)."""
