"""Execute on the in-process paper broker, killed at every point of a day: the journal rebuilds the counter.

A SIGKILL is a `Killed` raised before the n-th journal write (nothing after it happens, in this process or
its paper broker), for every n of the day, and once more between the journaled close and its snapshot. A new
process on the same journal then gets every event again (at-least-once delivery) and must end the day with
the very orders, fills and close of a run that was never killed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.approvals import approved
from support.broker_day import DAY
from support.keys import APPROVAL_SECRET as SECRET

from alphamoe.broker.journal import Journal, MemoryJournal
from alphamoe.broker.orders import OrderRecord
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import MarketClose, OrderProposed
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages.execute import ExecuteStage
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.portfolio import AccountState
from alphamoe.types import OrderStatus, Side

RUN = "run-paper"
EXPIRY = datetime.now(UTC) + timedelta(hours=1)  # one approval per order, whichever process it reaches
# what the hand-made day makes of them: filled, partly filled (volume cap), resting (sealed limit-up),
# refused (T+1: nothing sellable), filled (STAR board)
ORDERS = (
    ("600000.SH", Side.BUY, 1000, "10.20"),
    ("600003.SH", Side.BUY, 300, "10.10"),
    ("600001.SH", Side.BUY, 100, "11.00"),
    ("600000.SH", Side.SELL, 100, "10.00"),
    ("688001.SH", Side.BUY, 200, "30.50"),
)


class Killed(BaseException):
    """SIGKILL: nothing catches it, nothing after it runs."""


class KilledJournal:
    """The process's view of the shared journal: it dies before its `kill_at`-th write (0: never)."""

    def __init__(self, shared: MemoryJournal, kill_at: int = 0) -> None:
        self.shared, self.kill_at, self.writes = shared, kill_at, 0

    def _write(self, method: Callable[..., Any], *args: Any) -> Any:
        self.writes += 1
        if self.kill_at and self.writes >= self.kill_at:
            raise Killed(f"killed before journal write {self.writes}")
        return method(*args)

    def claim(self, record: OrderRecord) -> bool:
        return bool(self._write(self.shared.claim, record))

    def put(self, record: OrderRecord, events: Sequence[str] = ()) -> None:
        self._write(self.shared.put, record, events)

    def park(self, reason: str, detail: dict[str, Any]) -> None:
        self._write(self.shared.park, reason, detail)

    def set_opening(self, state: AccountState) -> None:
        self._write(self.shared.set_opening, state)

    def set_closing(self, state: AccountState) -> None:
        self._write(self.shared.set_closing, state)

    def parked(self) -> list[dict[str, Any]]:
        return self.shared.parked()

    def get(self, client_order_id: str) -> OrderRecord | None:
        return self.shared.get(client_order_id)

    def records(self, day: Any = None) -> list[OrderRecord]:
        return self.shared.records(day)

    def outbox(self, limit: int = 1000) -> list[str]:
        return self.shared.outbox(limit)

    def ack(self, entries: Sequence[str]) -> int:
        return self.shared.ack(entries)

    def opening(self, day: Any) -> AccountState | None:
        return self.shared.opening(day)

    def closing(self, day: Any) -> AccountState | None:
        return self.shared.closing(day)


class KilledBook(AccountBook):
    """The snapshot write dies too when asked (the close journaled, the snapshot not yet written)."""

    kill = False

    def save_close(self, state: AccountState) -> Path:
        if self.kill:
            raise Killed("killed before the snapshot")
        return super().save_close(state)


def events() -> list[Envelope[Any]]:
    out: list[Envelope[Any]] = []
    for n, (symbol, side, quantity, limit) in enumerate(ORDERS):
        order = OrderProposed(
            trading_day=DAY, order_id=f"{DAY}:acc:{symbol}:{side.value}:{n}", account_id="acc", symbol=symbol,
            side=side, quantity=quantity, limit_price=Decimal(limit), reference_price=Decimal(limit),
            target_weight=0.01, kelly_fraction=0.1,
        )  # fmt: skip
        out.append(build_event(approved(order, expires_at=EXPIRY), run_id=RUN, source="/alphamoe/risk"))
    out.append(build_event(MarketClose(trading_day=DAY, account_id="acc"), run_id=RUN, source="/alphamoe/cli"))
    return out


def process(store: BarStore, root: Path, journal: Journal) -> ExecuteStage:
    """A new execute process: its own paper broker, the shared journal and snapshot folder."""
    return ExecuteStage(
        MarketData(store), KilledBook(root, "acc", Decimal("1000000")), SECRET, CommissionSchedule(), journal=journal
    )


def outcome(journal: MemoryJournal, root: Path) -> tuple[object, ...]:
    records = [r.model_dump(exclude={"session_id", "announced"}) for r in journal.records(DAY)]
    return records, journal.closing(DAY), AccountBook(root, "acc", Decimal("1000000")).opening_state(DAY + timedelta(1))


def run_day(store: BarStore, root: Path, shared: MemoryJournal, kill_at: int = 0, kill_snapshot: bool = False) -> int:
    """Deliver the day's events to one process until it dies; return how many journal writes it made."""
    journal = KilledJournal(shared, kill_at)
    stage = process(store, root, journal)
    stage.start()
    try:
        for event in events():
            if isinstance(event.payload, MarketClose):
                stage.accounts.kill = kill_snapshot  # type: ignore[attr-defined]
            stage.handle(event)
    except Killed:
        pass
    return journal.writes


@pytest.fixture
def reference(store: BarStore, tmp_path: Path) -> tuple[tuple[object, ...], int]:
    shared = MemoryJournal()
    writes = run_day(store, tmp_path / "reference", shared)
    return outcome(shared, tmp_path / "reference"), writes


def test_reference_day_when_never_killed_then_every_kind_of_outcome(
    reference: tuple[tuple[object, ...], int],
) -> None:
    records = reference[0][0]
    assert isinstance(records, list)
    states = sorted(r["status"] for r in records)
    assert states == sorted([OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.CANCELLED,
                             OrderStatus.REJECTED, OrderStatus.FILLED])  # fmt: skip
    assert sum(bool(r["fills"]) for r in records) == 3  # one of the cancelled was partly filled


def test_paper_execute_when_killed_at_any_point_then_restart_ready_and_day_ends_as_unkilled(
    store: BarStore, tmp_path: Path, reference: tuple[tuple[object, ...], int]
) -> None:
    expected, writes = reference
    points = [(n, False) for n in range(1, writes + 1)] + [(0, True)]
    for kill_at, kill_snapshot in points:
        root, shared = tmp_path / f"kill-{kill_at}-{kill_snapshot}", MemoryJournal()
        assert run_day(store, root, shared, kill_at, kill_snapshot) <= writes
        restarted = process(store, root, shared)
        restarted.start()
        ready, why = restarted.health()
        assert ready, f"killed before write {kill_at}: {why}"
        for event in events():  # at least once: everything again, in order
            restarted.handle(event)
        assert outcome(shared, root) == expected, f"killed before write {kill_at} (snapshot: {kill_snapshot})"
        assert restarted.service.open_days() == []
