"""When the day's ticks fall: pure date arithmetic in the exchange's time zone, weekdays only.

Which weekdays are sessions is not decided here but by the session ledger (XSHG calendar), exactly as a
Kubernetes cron fires every weekday and leaves holidays to the handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from alphamoe.clock.config import ClockSettings
from alphamoe.security.runs import RunMode


class TickKind(StrEnum):
    MARKET_OPEN = "market.open"
    MARKET_CLOSE = "market.close"


@dataclass(frozen=True, order=True)
class Tick:
    """One scheduled tick: `at` is an aware datetime in the clock's zone."""

    at: datetime
    kind: TickKind
    day: date


def tick_at(kind: TickKind, day: date, cfg: ClockSettings) -> datetime:
    wall = cfg.market_open if kind is TickKind.MARKET_OPEN else cfg.market_close
    return datetime.combine(day, wall, tzinfo=cfg.zone)


def session_end_at(day: date, cfg: ClockSettings) -> datetime:
    return datetime.combine(day, cfg.session_end, tzinfo=cfg.zone)


def local_day(now: datetime, cfg: ClockSettings) -> date:
    """Return the exchange's calendar day at `now` (an aware datetime)."""
    return now.astimezone(cfg.zone).date()


def run_mode(day: date, now: datetime, cfg: ClockSettings) -> RunMode:
    """Return the mode a run of `day` started at `now` is issued in: SESSION only for the exchange's today.

    Any other day (a past day on the paper account, a named future day) is a SIMULATION; risk and execute
    keep live money out of it.
    """
    return RunMode.SESSION if day == local_day(now, cfg) else RunMode.SIMULATION


def ticks_on(day: date, cfg: ClockSettings) -> tuple[Tick, ...]:
    """Return the day's ticks in time order; none on Saturday and Sunday."""
    if day.weekday() >= 5:
        return ()
    return tuple(Tick(tick_at(kind, day, cfg), kind, day) for kind in TickKind)


def next_tick(after: datetime, cfg: ClockSettings) -> Tick:
    """Return the first tick strictly after `after`."""
    day = local_day(after, cfg)
    for offset in range(8):
        for tick in ticks_on(day + timedelta(days=offset), cfg):
            if tick.at > after:
                return tick
    raise AssertionError("a week always has a weekday")  # pragma: no cover


def due_ticks(now: datetime, cfg: ClockSettings) -> tuple[Tick, ...]:
    """Return today's ticks whose time has come (what a returning scheduler must consider catching up)."""
    return tuple(t for t in ticks_on(local_day(now, cfg), cfg) if t.at <= now)


def cron_expression(kind: TickKind, cfg: ClockSettings) -> str:
    """Return the five-field cron line (in the clock's zone) of a tick: what the manifests carry."""
    wall = cfg.market_open if kind is TickKind.MARKET_OPEN else cfg.market_close
    return f"{wall.minute} {wall.hour} * * 1-5"
