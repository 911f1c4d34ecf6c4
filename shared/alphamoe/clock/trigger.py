"""Fire a tick: claim it in the session ledger, then publish market.open / market.close on the bus.

The same path serves every trigger: `alphamoe schedule` (foreground), the PingSource receiver, the CronJob
(`alphamoe schedule fire …`) and a trader's hand (`--date D --force`). The bus is whatever the rest of the
pipeline publishes through (Redis Streams in a cluster), so a tick is an ordinary event. Each tick carries a
run token signed with the event key (`security.runs`): SESSION for the exchange's today, else SIMULATION.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from alphamoe.bus.base import Bus
from alphamoe.clock.config import ClockSettings
from alphamoe.clock.ledger import ClaimStatus, ClockRecord, SessionLedger
from alphamoe.clock.schedule import Tick, TickKind, due_ticks, local_day, run_mode, tick_at
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import MarketClose, MarketOpen, Payload
from alphamoe.security import runs

Now = Callable[[], datetime]
AfterClaim = Callable[[ClockRecord], None]


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
    ) -> None:
        """`event_key`: the deployment's key (`require_key(settings.event_key, …)`); it signs the ticks' run tokens."""
        self.cfg, self.ledger, self.bus, self.account_id, self.now = cfg, ledger, bus, account_id, now
        self.event_key = event_key
        self.after_close = after_close

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
        tick = Tick(tick_at(kind, day, self.cfg), kind, day)
        record = self.ledger.decide(tick, now, trigger=trigger, force=force, on_demand=on_demand, run_id=run_id)
        if record.status is not ClaimStatus.CLAIMED or record.run_id is None:
            return record
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
        return record

    def catch_up(self, *, trigger: str = "catch-up") -> list[ClockRecord]:
        """Handle today's ticks that are due but nobody claimed (the cluster was down at their time)."""
        now = self.now()
        records: list[ClockRecord] = []
        for tick in due_ticks(now, self.cfg):
            if self.ledger.claimed(tick.day, tick.kind) is None:
                records.append(self.fire(tick.kind, day=tick.day, trigger=trigger))
        return records
