"""The execute stage: only risk-signed orders reach the broker; refusals are parked; replays are not resent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from support.approvals import approved as signed
from support.broker_day import DAY, opens
from support.keys import APPROVAL_SECRET as SECRET
from support.sim_desk import SimDesk, approval, buy_order, opening, sim_stage

from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.errors import ApprovalError
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import MarketClose, OrderApproved, OrderFilled, OrderProposed, OrderSubmitted
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.stages.execute import ExecuteStage


def proposed(quantity: int = 1000, limit: str = "10.20") -> OrderProposed:
    return buy_order(quantity=quantity, limit=limit)


def approved(order: OrderProposed, signature: str | None = None) -> Envelope[OrderApproved]:
    return approval(order, SECRET, "run-1", signature)


@pytest.fixture
def sim() -> SimDesk:
    return SimDesk(exchange=SimExchange(opening(), opens()))  # marketable orders fill at the open


@pytest.fixture
def stage(sim: SimDesk, store: BarStore, tmp_path: Path) -> ExecuteStage:
    return sim_stage(sim, store, tmp_path, SECRET)


def test_handle_when_signed_then_journaled_sent_and_events_out(stage: ExecuteStage, sim: SimDesk) -> None:
    event = approved(proposed())
    outputs = stage.handle(event)
    assert [type(e.payload) for e in outputs] == [OrderSubmitted, OrderFilled]
    assert all(e.causation_id == event.id for e in outputs)
    assert sim.exchange.sends[outputs[0].payload.client_order_id] == 1


def test_handle_when_signature_wrong_then_refused_parked_and_not_sent(stage: ExecuteStage, sim: SimDesk) -> None:
    with pytest.raises(ApprovalError, match="does not match"):
        stage.handle(approved(proposed(), signature="0" * 64))
    assert sim.exchange.sends.total() == 0
    assert "does not match" in sim.journal.parked()[-1]["reason"]


def test_handle_when_order_changed_after_approval_then_refused_and_parked(stage: ExecuteStage, sim: SimDesk) -> None:
    signature = signed(proposed(), SECRET).signature
    with pytest.raises(ApprovalError):
        stage.handle(approved(proposed(quantity=10_000), signature=signature))
    assert sim.exchange.sends.total() == 0
    assert len(sim.journal.parked()) == 1


def test_handle_when_signature_missing_then_refused_and_parked(stage: ExecuteStage, sim: SimDesk) -> None:
    unsigned = signed(proposed(), SECRET).model_copy(update={"signature": ""})
    event = build_event(unsigned, run_id="run-1", source="/alphamoe/risk")
    with pytest.raises(ApprovalError, match="no approval signature"):
        stage.handle(event)
    assert sim.exchange.sends.total() == 0 and sim.journal.parked()


def test_handle_when_approval_replayed_then_not_resubmitted(stage: ExecuteStage, sim: SimDesk) -> None:
    event = approved(proposed())
    stage.handle(event)
    assert stage.handle(event) == []
    assert sim.exchange.sends.total() == 1
    assert "replayed" in sim.journal.parked()[-1]["reason"]


def test_health_when_session_drops_then_not_ready_until_reconnected(stage: ExecuteStage, sim: SimDesk) -> None:
    stage.handle(approved(proposed()))
    assert stage.health()[0]
    sim.exchange.online = False
    sim.traders[-1].drop()
    ready, why = stage.health()
    assert not ready and "DISCONNECTED" in why
    sim.exchange.online = True
    assert stage.health()[0]  # the probe reconnects (new session) and reconciles


def test_market_close_when_orders_rest_then_cancelled_events_and_snapshot(stage: ExecuteStage, sim: SimDesk) -> None:
    stage.handle(approved(proposed(limit="9.80")))
    close = build_event(MarketClose(trading_day=DAY, account_id="acc"), run_id="run-1", source="/alphamoe/cli")
    outputs = stage.handle(close)
    assert [e.payload.status for e in outputs] == ["CANCELLED"]
    assert stage.closing(DAY).cash == Decimal("1000000")
