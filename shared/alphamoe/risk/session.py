"""Which runs risk decides, and what their approvals are bound to: the run token's mode meets the exchange's day.

A SESSION run (the clock's run of the exchange's current day) may move live money: its approvals are bound
to that session and expire at its close. A SIMULATION (a named other day) or REPLAY (a recorded run
re-published) is decided only where `RiskLimits.allow_simulation` is set (a live deployment turns it off);
its approvals are simulated, so only a paper broker fills them, and expire `approval_ttl_s` after the
decision. Pure functions: the caller passes the mode, the days and the time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alphamoe.clock.config import ClockSettings
from alphamoe.events.payloads import RuleViolation
from alphamoe.risk.approval import Binding
from alphamoe.risk.config import RiskLimits
from alphamoe.security.runs import RunMode

SESSION_DAY = "SESSION_DAY"
SIMULATION_OFF = "SIMULATION_OFF"


def run_refusal(mode: RunMode, day: date, today: date, limits: RiskLimits) -> RuleViolation | None:
    """Return why every order of a run of `mode` for `day` is refused, or None when risk may decide it."""
    if mode is RunMode.SESSION:
        if day == today:
            return None
        return RuleViolation(
            code=SESSION_DAY,
            message=(
                f"a session run is for {day}, but the exchange's current session day is {today}: risk decides "
                "only today's session (another day runs as a simulation, on a paper account)"
            ),
        )
    if limits.allow_simulation:
        return None
    return RuleViolation(
        code=SIMULATION_OFF,
        message=(
            f"a {mode.value} run of {day} is refused: this deployment decides only today's session "
            "(ALPHAMOE_RISK__ALLOW_SIMULATION=false)"
        ),
    )


def binding_for(mode: RunMode, day: date, now: datetime, clock: ClockSettings, limits: RiskLimits) -> Binding:
    """Return the binding of a run's approvals: the session's close for SESSION, else `now` + the TTL, simulated."""
    if mode is RunMode.SESSION:
        close = datetime.combine(day, clock.session_end, clock.zone).astimezone(UTC)
        return Binding(day, close, simulated=False)
    return Binding(day, (now + timedelta(seconds=limits.approval_ttl_s)).astimezone(UTC), simulated=True)


def replay_of(mode: RunMode, run_id: str) -> str | None:
    """Return the run id a REPLAY books its own ledger under (`engine.scope_of`); None for the day's ledger."""
    return run_id if mode is RunMode.REPLAY else None
