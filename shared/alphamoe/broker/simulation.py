"""Which brokers may fill a simulated approval: paper, and live adapters running against the simulators.

A past day runs as a SIMULATION (`security.runs`), and its approvals are marked simulated; a real client
must never fill one. A live adapter's session is allowed to only when two things say it is simulated:
the wiring that built its sessions marks the factory (`simulated_sessions`, checked before any desk is
opened, so a real client's wiring refuses without touching it), and the opened session itself declares
`simulated = True` from what it talks to: the simulated xtquant trader (`broker/simulated/xtquant.py`),
or a QMT bridge script running in the simulated QMT runtime (`broker/simulated/qmt_runtime.py`). A real
xtquant trader or a bridge in a real QMT client declares nothing, so it refuses even if the wiring lied.
"""

from __future__ import annotations

from typing import TypeVar

F = TypeVar("F")


def declares_simulated(obj: object) -> bool:
    """True only when `obj` (a broker session or its factory) carries `simulated = True` itself."""
    return getattr(obj, "simulated", False) is True


def simulated_sessions(factory: F) -> F:
    """Mark a broker factory whose sessions run against the simulators (`broker/simulated/*`)."""
    factory.simulated = True  # type: ignore[attr-defined]
    return factory
