"""Fire a tick: claim it in the session ledger, then publish market.open / market.close on the bus.

The same path serves every trigger: `alphamoe schedule` (foreground), the PingSource receiver, the CronJob
(`alphamoe schedule fire …`) and a trader's hand (`--date D --force`). The bus is whatever the rest of the
pipeline publishes through (Redis Streams in a cluster), so a tick is an ordinary event. Each tick carries a
run token signed with the event key (`security.runs`): SESSION for the exchange's today, else SIMULATION.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from alphamoe.bus.base import Bus
from alphamoe.clock.config import ClockSettings
from alphamoe.clock.ledger import ClaimStatus, ClockRecord, SessionLedger
from alphamoe.clock.schedule import Tick, TickKind, due_ticks, local_day, run_mode, tick_at
from alphamoe.data.freshness import StaleDataError
from alphamoe.errors import ConfigurationError
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import AlertRaised, DataReady, MarketClose, MarketOpen, Payload
from alphamoe.security import runs

log = logging.getLogger("alphamoe.clock")
Now = Callable[[], datetime]
AfterClaim = Callable[[ClockRecord], None]
Fresh = Callable[[date], None]
"""The freshness gate: raise StaleDataError unless the store holds the close of the session before the day."""


class UpdateOutcome(Protocol):
    """What the evening update reports (`alphamoe.data.update.UpdateReport`)."""

    @property
    def source(self) -> str: ...
    @property
    def admitted(self) -> list[date]: ...
    @property
    def quarantined(self) -> dict[date, list[dict[str, Any]]]: ...


class EvidenceOutcome(Protocol):
    """What the evening evidence fetch reports (`alphamoe.evidence.update.EvidenceCatchUp`)."""

    @property
    def since(self) -> date: ...
    @property
    def added(self) -> int: ...


@dataclass(frozen=True)
class DataStep:
    """The evening job: `update(day)` brings the store up to `day`'s close; `sleep` waits between attempts.

    `evidence(day)`, when set, then fills the experts' evidence archive through `day`: once, after the bars;
    a failure is an alert, not a failed step (the bars are in), and the next evening fetches the days again.
    """

    update: Callable[[date], UpdateOutcome]
    sleep: Callable[[float], None]
    evidence: Callable[[date], EvidenceOutcome] | None = None


class Clock:
    """Turn ticks into at most one market.open and one market.close per session (unless forced)."""

    def __init__(
        self,
        cfg: ClockSettings,
        ledger: SessionLedger,
        bus: Bus,
        *,
        account_id: str,
        now: Now,
        event_key: bytes,
        after_close: AfterClaim | None = None,
        fresh: Fresh | None = None,
        data: DataStep | None = None,
    ) -> None:
        """`event_key`: the deployment's key (`require_key(settings.event_key, …)`); it signs the ticks' run tokens.

        `fresh`: the freshness gate each market.open passes first (None: no gate); `data`: the evening data
        step, which adds the data.update tick to the schedule (None: no data step).
        """
        self.cfg, self.ledger, self.bus, self.account_id, self.now = cfg, ledger, bus, account_id, now
        self.event_key = event_key
        self.after_close = after_close
        self.fresh, self.data = fresh, data

    def fire(
        self,
        kind: TickKind,
        *,
        day: date | None = None,
        trigger: str,
        force: bool = False,
        on_demand: bool = False,
        run_id: str | None = None,
    ) -> ClockRecord:
        """Handle one tick of `kind` for `day` (default: the exchange's today) now; publish if claimed.

        `on_demand`: a trader named the day, so a past day runs rather than counting as missed (see the
        ledger); `run_id` overrides the ledger's run id for that claim.
        """
        now = self.now()
        day = day or local_day(now, self.cfg)
        if kind is TickKind.DATA_UPDATE and self.data is None:
            raise ConfigurationError("this clock has no data step (no data source configured)")
        tick = Tick(tick_at(kind, day, self.cfg), kind, day)
        if kind is TickKind.MARKET_CLOSE and not force and (refused := self._refused_open(day)) is not None:
            return refused
        run_id = run_id or (f"{day:%Y%m%d}-data" if kind is TickKind.DATA_UPDATE else None)
        record = self.ledger.decide(tick, now, trigger=trigger, force=force, on_demand=on_demand, run_id=run_id)
        if record.status is not ClaimStatus.CLAIMED or record.run_id is None:
            return record
        if kind is TickKind.DATA_UPDATE:
            return self._update(record, now)
        gated: ClockRecord | None = None  # the freshness gate's word, when it had one
        if kind is TickKind.MARKET_OPEN and self.fresh is not None:
            try:
                self.fresh(day)
            except StaleDataError as exc:
                gated = self._stale(record, exc, now)
                if gated.status is ClaimStatus.REFUSED:
                    return gated
        payload: Payload = (
            MarketOpen(trading_day=day, account_id=self.account_id, force=force)
            if kind is TickKind.MARKET_OPEN
            else MarketClose(trading_day=day, account_id=self.account_id)
        )
        source = "/alphamoe/clock/catch-up" if record.caught_up else f"/alphamoe/clock/{trigger}"
        token = runs.issue(self.event_key, record.run_id, day, run_mode(day, now, self.cfg))
        try:
            self.bus.publish(build_event(payload, run_id=record.run_id, source=source, run_token=token))
        except BaseException:
            self.ledger.release(record)  # claimed but not sent: let the next attempt take the day
            raise
        if kind is TickKind.MARKET_CLOSE and self.after_close is not None:
            self.after_close(record)
        return gated or record

    def _publish(self, payload: Payload, record: ClockRecord, now: datetime) -> None:
        assert record.run_id is not None
        token = runs.issue(
            self.event_key, record.run_id, record.trading_day, run_mode(record.trading_day, now, self.cfg)
        )
        self.bus.publish(build_event(payload, run_id=record.run_id, source="/alphamoe/clock/data", run_token=token))

    def _alert(self, code: str, message: str, record: ClockRecord, now: datetime) -> None:
        # no notification channel yet: the alert.raised event, this log line and the clock log are the alert
        log.error("ALERT %s %s: %s", code, record.trading_day, message)
        alert = AlertRaised.model_validate({"trading_day": record.trading_day, "code": code, "message": message})
        self._publish(alert, record, now)

    def _stale(self, record: ClockRecord, exc: StaleDataError, now: datetime) -> ClockRecord:
        # the freshness gate failed: refuse the day (default) or run on the last complete day, saying so
        if self.cfg.on_stale == "refuse":
            self._alert("STALE_DATA", str(exc), record, now)
            return self.ledger.outcome(record, ClaimStatus.REFUSED, str(exc), now=now)
        last = exc.last_complete.isoformat() if exc.last_complete else "none"
        note = (
            f"stale data: the store lacks {exc.needed.isoformat()}'s close; market.open of "
            f"{record.trading_day.isoformat()} runs on the last complete day {last} "
            "(ALPHAMOE_CLOCK__ON_STALE=last_complete)"
        )
        self._alert("STALE_DATA", note, record, now)
        return self.ledger.outcome(record, ClaimStatus.STALE, note, now=now)

    def _refused_open(self, day: date) -> ClockRecord | None:
        # a day the freshness gate refused was not traded: no market.close, so no account snapshot either
        opened = self.ledger.claimed(day, TickKind.MARKET_OPEN)
        if opened is None or opened.status is not ClaimStatus.REFUSED:
            return None
        note = f"market.open of {day.isoformat()} was refused ({opened.note}); no market.close sent, no snapshot"
        return self.ledger.outcome(
            opened.model_copy(update={"event": TickKind.MARKET_CLOSE}), ClaimStatus.REFUSED, note, now=self.now()
        )

    def _update(self, record: ClockRecord, now: datetime) -> ClockRecord:
        # N attempts, then an alert and a FAILED record: the claim stays, so nothing retries it forever
        assert self.data is not None
        day, attempts = record.trading_day, self.cfg.data_retries
        failures: list[str] = []
        for attempt in range(1, attempts + 1):
            try:
                report = self.data.update(day)
                break
            except Exception as exc:  # any vendor fault (HTTP, parsing, the store): retried, then reported
                failures.append(f"attempt {attempt}: {type(exc).__name__}: {exc}")
                log.warning("data step of %s failed (%s)", day, failures[-1])
                if attempt < attempts:
                    self.data.sleep(self.cfg.data_retry_seconds)
        else:
            message = f"data update of {day.isoformat()} failed {attempts} times; stopped: " + "; ".join(failures)
            self._alert("DATA_UPDATE_FAILED", message, record, now)
            return self.ledger.outcome(record, ClaimStatus.FAILED, message, now=self.now())
        quarantined = {d.isoformat(): [str(f.get("message", f)) for f in fs] for d, fs in report.quarantined.items()}
        evidence, evidence_note = self._evidence(record, now)
        if day in report.quarantined:
            message = f"data update of {day.isoformat()} quarantined the day: {quarantined[day.isoformat()]}"
            self._alert("DATA_UPDATE_FAILED", message, record, now)
            return self.ledger.outcome(record, ClaimStatus.FAILED, message, now=self.now())
        ready = DataReady(
            trading_day=day,
            source=report.source,
            admitted=report.admitted,
            quarantined=quarantined,
            attempts=len(failures) + 1,
            evidence_added=evidence,
        )
        self._publish(ready, record, now)
        note = (
            f"data.ready from {report.source}: {len(report.admitted)} session(s) admitted"
            f" after {len(failures) + 1} attempt(s)" + (f" ({'; '.join(failures)})" if failures else "")
        ) + evidence_note
        return self.ledger.outcome(record, ClaimStatus.READY, note, now=self.now())

    def _evidence(self, record: ClockRecord, now: datetime) -> tuple[int | None, str]:
        # the experts' evidence after the bars: a vendor fault here leaves the bars published and alerts
        assert self.data is not None
        if self.data.evidence is None:
            return None, ""
        day = record.trading_day
        try:
            done = self.data.evidence(day)
        except Exception as exc:  # any vendor fault: the archive's fetched-through day stays, so next evening retries
            message = (
                f"evidence fetch through {day.isoformat()} failed ({type(exc).__name__}: {exc}); "
                "the bars are in; the next evening fetches these days again"
            )
            log.warning("data step of %s: %s", day, message)
            self._alert("EVIDENCE_UPDATE_FAILED", message, record, now)
            return None, f"; {message}"
        return done.added, f"; evidence {done.since.isoformat()} … {day.isoformat()}: {done.added} item(s) added"

    def catch_up(self, *, trigger: str = "catch-up") -> list[ClockRecord]:
        """Handle today's ticks that are due but nobody claimed (the cluster was down at their time)."""
        now = self.now()
        records: list[ClockRecord] = []
        for tick in due_ticks(now, self.cfg, data=self.data is not None):
            if self.ledger.claimed(tick.day, tick.kind) is None:
                records.append(self.fire(tick.kind, day=tick.day, trigger=trigger))
        return records
