"""The execute stage: only risk-signed orders reach the broker; refusals are parked; replays are not resent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from broker_day import DAY, opens
from sim_desk import FAST, SimDesk, opening

from alphamoe.broker.miniqmt import MiniQmtBroker
from alphamoe.broker.protocol import Broker
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.broker.simulated.xtquant import StockAccount
from alphamoe.errors import ApprovalError
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import MarketClose, OrderApproved, OrderFilled, OrderProposed, OrderSubmitted
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages.execute import ExecuteStage
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.risk.approval import sign
from alphamoe.types import Side

SECRET = b"execute-stage-test-secret"


def proposed(quantity: int = 1000, limit: str = "10.20") -> OrderProposed:
    return OrderProposed(
        trading_day=DAY,
        order_id=f"{DAY}:acc:600000.SH:BUY",
        account_id="acc",
        symbol="600000.SH",
        side=Side.BUY,
        quantity=quantity,
        limit_price=Decimal(limit),
        reference_price=Decimal("10.00"),
        target_weight=0.01,
        kelly_fraction=0.1,
    )


def approved(order: OrderProposed, signature: str | None = None) -> Envelope[OrderApproved]:
    payload = OrderApproved(trading_day=DAY, order=order, checks=("lot",), signature=signature or sign(order, SECRET))
    return build_event(payload, run_id="run-1", source="/alphamoe/risk")


@pytest.fixture
def sim() -> SimDesk:
    return SimDesk(exchange=SimExchange(opening(), opens()))  # marketable orders fill at the open


@pytest.fixture
def stage(sim: SimDesk, store: BarStore, tmp_path: Path) -> ExecuteStage:
    def brokers(day: object) -> Broker:
        return MiniQmtBroker("sim", "acc", DAY, trader_factory=sim.trader, account_factory=StockAccount)

    return ExecuteStage(
        MarketData(store),
        AccountBook(tmp_path, "acc", Decimal("1000000")),
        SECRET,
        CommissionSchedule(),
        journal=sim.journal,
        brokers=brokers,
        desk=FAST,
    )


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
    signature = sign(proposed(), SECRET)
    with pytest.raises(ApprovalError):
        stage.handle(approved(proposed(quantity=10_000), signature=signature))
    assert sim.exchange.sends.total() == 0
    assert len(sim.journal.parked()) == 1


def test_handle_when_signature_missing_then_refused_and_parked(stage: ExecuteStage, sim: SimDesk) -> None:
    unsigned = OrderApproved.model_construct(trading_day=DAY, order=proposed(), checks=(), signature="")
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
    assert stage.closed[DAY].cash == Decimal("1000000")
