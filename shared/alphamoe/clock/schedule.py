"""When the day's ticks fall: pure date arithmetic in the exchange's time zone, weekdays only.

Which weekdays are sessions is not decided here but by the session ledger (XSHG calendar), exactly as a
Kubernetes cron fires every weekday and leaves holidays to the handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from alphamoe.clock.config import ClockSettings
from alphamoe.errors import ConfigurationError
from alphamoe.security.runs import RunMode


class TickKind(StrEnum):
    MARKET_OPEN = "market.open"
    MARKET_CLOSE = "market.close"
    DATA_UPDATE = "data.update"  # the evening job: update the store, check, publish data.ready


def wall_time(kind: TickKind, cfg: ClockSettings) -> time:
    """Return the wall-clock time of a tick kind (the data step's only when one is configured)."""
    if kind is TickKind.MARKET_OPEN:
        return cfg.market_open
    if kind is TickKind.MARKET_CLOSE:
        return cfg.market_close
    if cfg.data_step is None:
        raise ConfigurationError("no data step configured (ALPHAMOE_CLOCK__DATA_STEP)")
    return cfg.data_step


def kinds(cfg: ClockSettings, *, data: bool) -> tuple[TickKind, ...]:
    """Return the day's tick kinds in time order; the data step only for a clock that runs it."""
    with_data = data and cfg.data_step is not None
    return (TickKind.MARKET_OPEN, TickKind.MARKET_CLOSE, *((TickKind.DATA_UPDATE,) if with_data else ()))


@dataclass(frozen=True, order=True)
class Tick:
    """One scheduled tick: `at` is an aware datetime in the clock's zone."""

    at: datetime
    kind: TickKind
    day: date


def tick_at(kind: TickKind, day: date, cfg: ClockSettings) -> datetime:
    return datetime.combine(day, wall_time(kind, cfg), tzinfo=cfg.zone)


def session_end_at(day: date, cfg: ClockSettings) -> datetime:
    return datetime.combine(day, cfg.session_end, tzinfo=cfg.zone)


def local_day(now: datetime, cfg: ClockSettings) -> date:
    """Return the exchange's calendar day at `now` (an aware datetime)."""
    return now.astimezone(cfg.zone).date()


def run_mode(day: date, now: datetime, cfg: ClockSettings) -> RunMode:
    """Return the mode a run of `day` started at `now` is issued in: SESSION only for the exchange's today.

    Any other day (a past day on the paper account, a named future day) is a SIMULATION; risk and execute
    keep live money out of it. So is every run of an accelerated clock: its "now" is simulated.
    """
    return RunMode.SESSION if day == local_day(now, cfg) and not cfg.accelerated else RunMode.SIMULATION


def ticks_on(day: date, cfg: ClockSettings, *, data: bool = False) -> tuple[Tick, ...]:
    """Return the day's ticks in time order; none on Saturday and Sunday. `data`: include the data step."""
    if day.weekday() >= 5:
        return ()
    return tuple(Tick(tick_at(kind, day, cfg), kind, day) for kind in kinds(cfg, data=data))


def next_tick(after: datetime, cfg: ClockSettings, *, data: bool = False) -> Tick:
    """Return the first tick strictly after `after`."""
    day = local_day(after, cfg)
    for offset in range(8):
        for tick in ticks_on(day + timedelta(days=offset), cfg, data=data):
            if tick.at > after:
                return tick
    raise AssertionError("a week always has a weekday")  # pragma: no cover


def due_ticks(now: datetime, cfg: ClockSettings, *, data: bool = False) -> tuple[Tick, ...]:
    """Return today's ticks whose time has come (what a returning scheduler must consider catching up)."""
    return tuple(t for t in ticks_on(local_day(now, cfg), cfg, data=data) if t.at <= now)


def cron_expression(kind: TickKind, cfg: ClockSettings) -> str:
    """Return the five-field cron line (in the clock's zone) of a tick: what the manifests carry."""
    wall = wall_time(kind, cfg)
    return f"{wall.minute} {wall.hour} * * 1-5"
