"""Watch the fabric for what deserves an alert and hand each one to the dispatcher; read-only for trading.

It reads the order, data and close streams and the dead-letter stream with plain XREAD from its own
cursors (kept in `alphamoe:alerts:<instance>:cursor`), not through a consumer group: the pipeline's groups, their
lag and `wait_quiet` never see it, so a slow or stopped watcher cannot hold a trading day back. It also
polls the kill switch's states and the clutch, the functions' readiness and, after each market.close, the report store.
A first start reads from the streams' current ends (no alert storm from history); a restart resumes from
its cursors, so a change made while it was down still arrives once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import redis

from alphamoe.alerts import sources
from alphamoe.alerts.config import AlertSettings
from alphamoe.alerts.model import Alert, AlertKind, Severity
from alphamoe.broker.clutch import ClutchStatus, RedisClutch
from alphamoe.bus import codec
from alphamoe.bus.redis import DLQ, stream_of
from alphamoe.errors import EventError
from alphamoe.events.payloads import MarketClose, Payload, event_type_of
from alphamoe.report.endofday import EndOfDayReport
from alphamoe.risk.state import TradingState, TradingStatus
from alphamoe.risk.switch import RedisSwitch
from alphamoe.security.redact import redact

log = logging.getLogger("alphamoe.alerts")


def cursor_key(instance: str) -> str:
    """Return the hash of an instance's cursors: stream → the last entry id it handed on."""
    return f"alphamoe:alerts:{instance}:cursor"


def states_key(instance: str) -> str:
    """Return the hash of an instance's kill-switch states last alerted on: account → `STATE|since`."""
    return f"alphamoe:alerts:{instance}:states"


SWITCH_PREFIX = "alphamoe:risk"
CLUTCH_PREFIX = "alphamoe:execute"
WATCHED: tuple[type[Payload], ...] = (*sources.ORDER_STREAM_TYPES, MarketClose)
STREAMS = (*(stream_of(event_type_of(t)) for t in WATCHED), DLQ)
READ_COUNT = 500

ReportLookup = Callable[[date, str], EndOfDayReport | None]
"""Return a run's end-of-day report once written, else None."""
Probe = Callable[[str], bool]
"""True when the function at a base URL answers its readiness probe."""


@dataclass
class _Awaited:
    day: date
    run_id: str
    account: str
    deadline: float


class FabricWatch:
    def __init__(
        self,
        client: redis.Redis,
        submit: Callable[[Alert], None],
        settings: AlertSettings,
        *,
        reports: ReportLookup | None = None,
        functions: Mapping[str, str] | None = None,
        probe: Probe | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.client, self.submit, self.settings = client, submit, settings
        self.reports, self.probe, self.now = reports, probe, now
        self.functions = dict(functions if functions is not None else settings.functions)
        self.switch = RedisSwitch(client, SWITCH_PREFIX)
        self.clutch = RedisClutch(client, CLUTCH_PREFIX)
        self.cursors_at, self.states_at = cursor_key(settings.instance), states_key(settings.instance)
        self._cursors: dict[str, str] = {}
        self._failures: dict[str, int] = {}
        self._awaited: dict[tuple[date, str], _Awaited] = {}
        self._next_states = self._next_health = self._next_reports = 0.0

    def prime(self) -> None:
        """Load the cursors; a stream never read before starts at its current last entry (or the beginning)."""
        stored: dict[str, str] = self.client.hgetall(self.cursors_at)  # type: ignore[assignment]
        for stream in STREAMS:
            if stream in stored:
                self._cursors[stream] = stored[stream]
                continue
            last: list[tuple[str, dict[str, str]]] = self.client.xrevrange(stream, count=1)  # type: ignore[assignment]
            self._cursors[stream] = last[0][0] if last else "0-0"
            self.client.hset(self.cursors_at, stream, self._cursors[stream])

    def poll(self, block_ms: int | None = None) -> int:
        """Read what the streams gained (waiting up to `block_ms`), submit its alerts; return entries read."""
        if not self._cursors:
            self.prime()
        replies: list[tuple[str, list[tuple[str, dict[str, str]]]]] = self.client.xread(
            dict(self._cursors),  # type: ignore[arg-type]
            count=READ_COUNT,
            block=self.settings.block_ms if block_ms is None else block_ms,
        )  # type: ignore[assignment]
        read = 0
        for stream, entries in replies or []:
            for entry_id, fields in entries:
                self._handle(stream, entry_id, fields)
                self._cursors[stream] = entry_id
                read += 1
            if entries:
                self.client.hset(self.cursors_at, stream, self._cursors[stream])
        return read

    def _handle(self, stream: str, entry_id: str, fields: dict[str, str]) -> None:
        at = sources.entry_time(entry_id)
        if stream == DLQ:
            self.submit(sources.from_dead_letter(entry_id, fields))
            return
        try:
            envelope = codec.decode(fields)
        except EventError as exc:  # the pipeline dead-letters it; that dead letter is the alert
            log.warning("alerts: %s %s is not a valid event: %s", stream, entry_id, redact(str(exc)))
            return
        if isinstance(envelope.payload, MarketClose):
            key = (envelope.trading_day, envelope.run_id)
            deadline = at.timestamp() + self.settings.report_wait_s
            self._awaited[key] = _Awaited(*key, envelope.payload.account_id, deadline)
            return
        alert = sources.from_event(envelope, at)
        if alert is not None:
            self.submit(alert)

    def check_states(self) -> int:
        """Alert on every kill-switch state and clutch that changed since last seen; return how many changed."""
        seen: dict[str, str] = self.client.hgetall(self.states_at)  # type: ignore[assignment]
        at = datetime.fromtimestamp(self.now(), UTC)
        changed = 0
        for account in self._accounts(SWITCH_PREFIX, "state"):
            status = self.switch.status(account)
            mark, before = f"{status.state.value}|{status.since}", seen.get(account)
            if before != mark:
                if before is not None or status.state is not TradingState.ACTIVE:
                    self.submit(sources.from_state_change(account, _parse_mark(before), status, at))
                    changed += 1
                self.client.hset(self.states_at, account, mark)
        for account in self._accounts(CLUTCH_PREFIX, "clutch"):
            clutch = self.clutch.status(account)
            field = f"clutch:{account}"
            mark, before = f"{int(clutch.engaged)}|{clutch.since}", seen.get(field)
            if before != mark:
                if before is not None or not clutch.engaged:
                    was = None if before is None else ClutchStatus(before.startswith("1"))
                    self.submit(sources.from_clutch_change(account, was, clutch, at))
                    changed += 1
                self.client.hset(self.states_at, field, mark)
        return changed

    def _accounts(self, prefix: str, suffix: str) -> list[str]:
        # `<prefix>:{account}:<suffix>`: the accounts that have one
        keys = self.client.scan_iter(match=f"{prefix}:{{*}}:{suffix}", count=200)
        return sorted(str(key)[len(prefix) + 2 : -len(suffix) - 2] for key in keys)

    def check_health(self) -> None:
        """Probe each function; alert once after `unready_after` failures in a row, and once when it is back."""
        if self.probe is None:
            return
        at = datetime.fromtimestamp(self.now(), UTC)
        for name, url in self.functions.items():
            failures = self._failures.get(name, 0)
            if self.probe(url):
                if failures >= self.settings.unready_after:
                    self.submit(sources.from_readiness(name, url, True, at))
                self._failures[name] = 0
                continue
            self._failures[name] = failures + 1
            if failures + 1 == self.settings.unready_after:
                self.submit(sources.from_readiness(name, url, False, at, failures=failures + 1))

    def check_reports(self) -> None:
        """Send the end-of-day summary of each closed run once its report is written (or say it never came)."""
        if self.reports is None:
            return
        now = self.now()
        for key, awaited in list(self._awaited.items()):
            report = self.reports(awaited.day, awaited.run_id)
            at = datetime.fromtimestamp(now, UTC)
            if report is not None:
                self.submit(sources.from_report(report, at, awaited.account))
            elif now > awaited.deadline:
                self.submit(
                    Alert(
                        kind=AlertKind.END_OF_DAY,
                        severity=Severity.WARNING,
                        day=awaited.day,
                        account=awaited.account,
                        at=at,
                        title=f"No end-of-day report for {awaited.day}",
                        lines=(f"run {awaited.run_id} closed {self.settings.report_wait_s:g} s ago; no report yet",),
                    )
                )
            else:
                continue
            del self._awaited[key]

    def step(self) -> int:
        """One round: read the streams, then whichever periodic check is due."""
        read = self.poll()
        now = self.now()
        s = self.settings
        if now >= self._next_states:
            self.check_states()
            self._next_states = now + s.state_every_s
        if now >= self._next_health:
            self.check_health()
            self._next_health = now + s.health_every_s
        if now >= self._next_reports:
            self.check_reports()
            self._next_reports = now + s.report_every_s
        return read

    def run(self, stop: threading.Event) -> None:
        """Step until `stop` is set; a Redis outage is logged and waited out, never raised.

        After a read that found entries it pauses `read_pause_s`: during a burst of fills the watcher costs
        Redis (which serves the trading path) a few round trips a second, not two per event.
        """
        while not stop.is_set():
            try:
                if self.step():  # entries came: let the next ones gather, so one round trip reads them all
                    stop.wait(self.settings.read_pause_s)
            except redis.RedisError as exc:
                log.warning("alerts: Redis unavailable, retrying in 1 s: %s", redact(str(exc)))
                stop.wait(1.0)


def _parse_mark(mark: str | None) -> TradingStatus | None:
    if not mark:
        return None
    state, _, since = mark.partition("|")
    return TradingStatus(TradingState(state), "", since)
