"""Execute sends an approval only for its session, before its expiry, and (on a live broker) only today's real one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from support.approvals import approved
from support.broker_day import DAY, opens
from support.keys import APPROVAL_SECRET
from support.sim_desk import FAST, SimDesk, approval, buy_order, opening

from alphamoe.broker.service import ExecutionService
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.errors import ApprovalError, ConfigurationError
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import OrderApproved
from alphamoe.types import OrderStatus

CLOSE = datetime(2024, 3, 5, 7, 0, tzinfo=UTC)  # DAY's 15:00 in Shanghai
MORNING = CLOSE - timedelta(hours=5)


def service(sim: SimDesk, *, today: date | None = None, now: datetime = MORNING) -> ExecutionService:
    """Execute over the simulated MiniQMT counter; `today` given = a live adapter (as `execute_options` wires it)."""
    return ExecutionService(
        sim.journal,
        sim.broker,
        APPROVAL_SECRET,
        desk=FAST,
        today=None if today is None else lambda: today,
        now=lambda: now,
    )


@pytest.fixture
def sim() -> SimDesk:
    return SimDesk(exchange=SimExchange(opening(), opens()))


def refused(sim: SimDesk, execute: ExecutionService, decision: OrderApproved, match: str, day: date = DAY) -> None:
    event = replace(build_event(decision, run_id="run-1", source="/alphamoe/risk"), trading_day=day)
    with pytest.raises(ApprovalError, match=match):
        execute.execute(event, decision)
    assert sim.exchange.sends.total() == 0 and sim.traders == []  # never sent; no session opened for that day
    assert match.split(".*")[0] in sim.journal.parked()[-1]["reason"]  # parked with the reason


def test_execute_when_live_and_approval_for_a_session_16_months_ago_then_refused_parked_not_sent(sim: SimDesk) -> None:
    # the finding: an order for a session 16 months in the past was approved and filled
    today = date(2025, 7, 4)
    decision = approved(buy_order(), expires_at=CLOSE, simulated=False)  # a real session's approval, of DAY
    refused(sim, service(sim, today=today, now=datetime(2025, 7, 4, 2, tzinfo=UTC)), decision, "expired at")
    fresh = approved(buy_order(), expires_at=datetime(2025, 7, 4, 7, tzinfo=UTC), simulated=False)
    refused(sim, service(sim, today=today), fresh, "the live broker trades 2025-07-04")


def test_execute_when_approval_past_its_expiry_then_refused(sim: SimDesk) -> None:
    decision = approved(buy_order(), expires_at=CLOSE)
    refused(sim, service(sim, now=CLOSE + timedelta(seconds=1)), decision, "expired at 2024-03-05T07:00:00")


def test_execute_when_expiry_extended_after_approval_then_signature_breaks(sim: SimDesk) -> None:
    decision = approved(buy_order(), expires_at=CLOSE)
    tampered = OrderApproved(**{**dict(decision), "expires_at": CLOSE + timedelta(days=30)})
    refused(sim, service(sim, now=CLOSE + timedelta(days=1)), tampered, "does not match")


def test_execute_when_simulated_approval_on_live_broker_then_refused_and_paper_sends_it(sim: SimDesk) -> None:
    decision = approved(buy_order(), expires_at=CLOSE, simulated=True)
    refused(sim, service(sim, today=DAY), decision, "only a paper broker may fill it")
    event = approval(buy_order(), APPROVAL_SECRET, "run-1")
    outputs = service(sim).execute(event, event.payload)  # paper: a simulation's approval is fine
    assert outputs and outputs[0].payload.status in (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.FILLED)


def test_execute_when_event_day_differs_from_the_approvals_session_then_refused(sim: SimDesk) -> None:
    decision = approved(buy_order(), expires_at=CLOSE)
    refused(sim, service(sim), decision, "for session 2024-03-05, but the event is for 2024-03-06", date(2024, 3, 6))


@pytest.mark.parametrize("secret", [b"", b"s", b"secret", b"changeme-changeme-changeme-changeme"])
def test_execution_service_when_secret_short_or_placeholder_then_refuses_to_start(sim: SimDesk, secret: bytes) -> None:
    with pytest.raises(ConfigurationError, match="ALPHAMOE_APPROVAL_SECRET"):
        ExecutionService(sim.journal, sim.broker, secret)
