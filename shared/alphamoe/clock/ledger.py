"""Once per session: decide each tick against the XSHG calendar and claim the day atomically in Redis.

The first handler of a tick wins `SET … NX` on a key per day and event; any later one (a second PingSource
delivery, a CronJob retry, a scheduler on another node) reads the winner's record and is ignored. Every
decision, taken or not, is appended to the day's clock log, which the day report prints.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from alphamoe.clock.config import ClockSettings
from alphamoe.clock.schedule import Tick, TickKind, session_end_at
from alphamoe.errors import ConfigurationError
from alphamoe.market.calendar import TradingCalendar

if TYPE_CHECKING:  # the ledger is handed a client: a reader of `ClockRecord` (the report) needs no redis
    import redis

PREFIX = "alphamoe:clock"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class CalendarCoverageError(ConfigurationError):
    """The day lies outside the installed XSHG calendar: the clock refuses to guess; upgrade exchange-calendars."""


class ClaimStatus(StrEnum):
    CLAIMED = "claimed"  # this handler runs the tick
    DUPLICATE = "duplicate"  # already claimed today: acknowledged and ignored
    NOT_A_SESSION = "not_a_session"  # weekday holiday, or any day the exchange is shut
    MISSED = "missed"  # market.open found after the session closed: not caught up
    READY = "ready"  # the data step published data.ready for the day
    FAILED = "failed"  # the data step gave up after its attempts: an alert, no retry forever
    REFUSED = "refused"  # market.open refused by the freshness gate (the store lacks D-1's close)
    STALE = "stale"  # market.open ran on the last complete day (on_stale=last_complete), and says so


class ClockRecord(BaseModel):
    """One decision of the clock on one tick, as stored in Redis and printed in the day report."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    event: TickKind
    trading_day: date
    status: ClaimStatus
    run_id: str | None
    scheduled_at: datetime
    decided_at: datetime
    trigger: str
    caught_up: bool = False
    forced: bool = False
    note: str


def claim_key(day: date, kind: TickKind) -> str:
    return f"{PREFIX}:{day.isoformat()}:{kind.value}"


def log_key(day: date) -> str:
    return f"{PREFIX}:{day.isoformat()}:log"


def scheduled_run_id(day: date) -> str:
    """Return a run id for a day's scheduled market.open that is the same on every node, so duplicates agree.

    The cluster passes the fabric's `day_run_id` instead, so the clock and `alphamoe trigger market-open`
    publish the very same event (same deterministic id) and the bus keeps one.
    """
    return f"{day:%Y%m%d}-clock"


class SessionLedger:
    """Claims of the day's ticks and the clock log, in Redis; the calendar decides what is a session."""

    def __init__(
        self,
        client: redis.Redis,
        cfg: ClockSettings,
        calendar: TradingCalendar | None = None,
        *,
        run_id_of: Callable[[date], str] = scheduled_run_id,
    ) -> None:
        # exchange_calendars only: sessions "found in data" must not make the clock fire on a guessed day
        self.client, self.cfg, self.run_id_of = client, cfg, run_id_of
        self.calendar = calendar or TradingCalendar()
        self.ttl = cfg.claim_ttl_days * 86_400

    def require_covered(self, day: date) -> None:
        """Raise CalendarCoverageError when the XSHG calendar cannot say whether `day` is a session."""
        if not self.calendar.covered(day):
            raise CalendarCoverageError(
                f"{day.isoformat()} is outside the XSHG calendar's coverage "
                f"({self.calendar.first_covered.isoformat()} … {self.calendar.last_covered.isoformat()}, "
                "exchange_calendars): the clock will not guess whether the exchange is open; "
                "upgrade exchange-calendars to a release that covers it"
            )

    def claimed(self, day: date, kind: TickKind) -> ClockRecord | None:
        raw = self.client.get(claim_key(day, kind))
        return ClockRecord.model_validate_json(str(raw)) if raw else None

    def records(self, day: date) -> list[ClockRecord]:
        """Return every decision taken for `day`, in the order taken."""
        return [ClockRecord.model_validate_json(str(r)) for r in self.client.lrange(log_key(day), 0, -1)]

    def decide(
        self,
        tick: Tick,
        now: datetime,
        *,
        trigger: str,
        force: bool = False,
        on_demand: bool = False,
        run_id: str | None = None,
    ) -> ClockRecord:
        """Decide `tick` handled at `now`: claim it, or say why it is ignored. Never fires anything itself.

        `on_demand` is a trader naming the day (`alphamoe trigger market-open --date D`): the calendar and the
        once-per-day claim still hold, but it is not a late scheduled tick, so it is neither "caught up" nor
        "missed" after the close (a local cluster runs past days from the bar store that way).
        """
        self.require_covered(tick.day)
        late = (now - tick.at).total_seconds()
        # a forced or on-demand run is a decision, not a catch-up
        caught_up = late > self.cfg.grace_seconds and not force and not on_demand
        when = self._when(now, tick.day)
        common: dict[str, Any] = {
            "event": tick.kind,
            "trading_day": tick.day,
            "scheduled_at": tick.at,
            "decided_at": now,
            "trigger": trigger,
            "forced": force,
        }
        if not self.calendar.is_session(tick.day):
            nxt = self.calendar.next_session(tick.day)
            note = (
                f"{tick.day.isoformat()} ({tick.day:%A}) is not an XSHG session (holiday or make-up weekend); "
                f"no {tick.kind.value} sent" + (f"; next session {nxt.isoformat()}" if nxt else "")
            )
            return self._log(ClockRecord(**common, status=ClaimStatus.NOT_A_SESSION, run_id=None, note=note))
        holder = None if force else self.claimed(tick.day, tick.kind)
        reclaim = holder is not None and self._close_of_an_older_run(holder)
        if holder is not None and not reclaim:
            return self._log(self._duplicate(holder, common, caught_up))
        closed = session_end_at(tick.day, self.cfg)
        if tick.kind is TickKind.MARKET_OPEN and now >= closed and not force and not on_demand:
            note = (
                f"market.open tick of {tick.at:%H:%M} missed; not caught up at {when} because the session "
                f"closed at {closed:%H:%M} (use --force to run the day anyway)"
            )
            return self._log(ClockRecord(**common, status=ClaimStatus.MISSED, run_id=None, caught_up=False, note=note))
        run_id = run_id or self._run_id(tick, force)
        if force:
            note = f"forced by {trigger} at {when}: run {run_id}"
        elif reclaim:
            note = f"{tick.kind.value} of run {run_id} by {trigger} at {when} (the earlier close was of another run)"
        elif on_demand:
            note = f"{tick.kind.value} on demand by {trigger} at {when} (scheduled {tick.at:%H:%M})"
        elif caught_up:
            note = f"{tick.kind.value} tick of {tick.at:%H:%M} missed; caught up at {when}"
            if tick.kind is TickKind.MARKET_OPEN:
                note += f" while the session is open (until {closed:%H:%M})"
        else:
            note = f"{tick.kind.value} on time ({late:+.0f} s)"
        record = ClockRecord(**common, status=ClaimStatus.CLAIMED, run_id=run_id, caught_up=caught_up, note=note)
        body = record.model_dump_json()
        # a reclaimed close overwrites the older run's claim; two racing closers publish one event (same id)
        won = self.client.set(claim_key(tick.day, tick.kind), body, ex=self.ttl, nx=not (force or reclaim))
        if won:
            return self._log(record)
        return self._log(self._duplicate(self.claimed(tick.day, tick.kind), common, caught_up))  # lost the race

    def _when(self, moment: datetime, day: date) -> str:
        # wall-clock time in the exchange's zone; with the date when it is not the tick's own day
        local = moment.astimezone(self.cfg.zone)
        return f"{local:%H:%M:%S}" if local.date() == day else f"{local:%Y-%m-%d %H:%M:%S} {self.cfg.timezone}"

    def _duplicate(self, holder: ClockRecord | None, common: dict[str, Any], caught_up: bool) -> ClockRecord:
        held = (
            f"run {holder.run_id} by {holder.trigger} at {self._when(holder.decided_at, holder.trading_day)}"
            if holder
            else "another run"
        )
        event = common["event"].value
        note = f"{event} already claimed ({held}); acknowledged and ignored (use --force for a new run)"
        run = holder.run_id if holder else None
        return ClockRecord(**common, status=ClaimStatus.DUPLICATE, run_id=run, caught_up=caught_up, note=note)

    def _close_of_an_older_run(self, holder: ClockRecord) -> bool:
        # market.close is once per run: after a forced rerun of the open, the new run still needs its close
        if holder.event is not TickKind.MARKET_CLOSE:
            return False
        opened = self.claimed(holder.trading_day, TickKind.MARKET_OPEN)
        return opened is not None and opened.run_id is not None and opened.run_id != holder.run_id

    def outcome(self, claim: ClockRecord, status: ClaimStatus, note: str, *, now: datetime) -> ClockRecord:
        """Record what became of a claimed tick (the data step's result, the freshness gate's refusal).

        A refusal replaces the day's claim, so the day's market.close sees it and sends nothing; the other
        outcomes only add to the clock log.
        """
        record = ClockRecord.model_validate({**claim.model_dump(), "status": status, "note": note, "decided_at": now})
        if status is ClaimStatus.REFUSED:
            self.client.set(claim_key(record.trading_day, record.event), record.model_dump_json(), ex=self.ttl)
        return self._log(record)

    def release(self, record: ClockRecord) -> bool:
        """Undo a claim whose event could not be published, so the next tick or a retry can take the day."""
        released = self.client.eval(_RELEASE, 1, claim_key(record.trading_day, record.event), record.model_dump_json())
        return bool(released)

    def _run_id(self, tick: Tick, force: bool) -> str:
        if tick.kind is TickKind.MARKET_CLOSE:
            # the close belongs to the day's current run (the latest open, forced or not)
            opened = self.claimed(tick.day, TickKind.MARKET_OPEN)
            return opened.run_id if opened and opened.run_id else self.run_id_of(tick.day)
        if not force:
            return self.run_id_of(tick.day)
        key = f"{PREFIX}:{tick.day.isoformat()}:reruns"
        n = int(self.client.incr(key))
        self.client.expire(key, self.ttl)
        return f"{self.run_id_of(tick.day)}-rerun{n}"

    def _log(self, record: ClockRecord) -> ClockRecord:
        key = log_key(record.trading_day)
        self.client.rpush(key, record.model_dump_json())
        self.client.expire(key, self.ttl)
        return record
