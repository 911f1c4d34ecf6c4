"""Run tokens: proof that a run's root `market.open` was issued by this deployment's clock (or run, or replay).

The issuer signs (run id, trading day, mode) with the event key and puts the token on the root event as the
CloudEvent extension `runtoken`; every derived event keeps it (`pipeline.stages.common.derive`). Risk checks
it before deciding a proposal: a proposal whose run no issuer started is refused, and the mode tells risk
whether the run is today's session (live money may move) or a simulation / replay of another day (only a
paper account may fill it).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from enum import StrEnum

from alphamoe.errors import AuthenticationError

EXTENSION = "runtoken"


class RunMode(StrEnum):
    SESSION = "session"
    """Today's session of the exchange: the only mode a live broker accepts."""
    SIMULATION = "simulation"
    """A named day run on demand (a past day on the paper account, `alphamoe run --date D`)."""
    REPLAY = "replay"
    """A recorded run re-published under a new run id (`alphamoe replay`)."""


def _mac(key: bytes, run_id: str, day: date, mode: RunMode) -> str:
    message = f"{run_id}|{day.isoformat()}|{mode.value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def issue(key: bytes, run_id: str, day: date, mode: RunMode) -> str:
    """Return the run token (`<mode>.<hex>`) of a run the caller is entitled to start."""
    return f"{mode.value}.{_mac(key, run_id, day, mode)}"


def verify(key: bytes, token: str | None, run_id: str, day: date) -> RunMode:
    """Return the run's mode, or raise AuthenticationError when no issuer of this deployment started it."""
    if not token:
        raise AuthenticationError(
            f"run {run_id!r} carries no run token: its market.open was not issued by the clock", field=EXTENSION
        )
    mode_text, _, mac = token.partition(".")
    try:
        mode = RunMode(mode_text)
    except ValueError:
        raise AuthenticationError(f"run token of {run_id!r} names no known mode", field=EXTENSION) from None
    if not hmac.compare_digest(_mac(key, run_id, day, mode).encode(), mac.encode()):
        raise AuthenticationError(
            f"run token of {run_id!r} does not match its run id and trading day {day}: not issued here",
            field=EXTENSION,
        )
    return mode
