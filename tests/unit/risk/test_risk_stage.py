"""The risk stage at the trust boundary: run tokens, today's session only, one ledger per day, no loose batch ends."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.approvals import buy, proposal, tradable
from support.keys import APPROVAL_SECRET, EVENT_KEY

from alphamoe.errors import AuthenticationError, EventError
from alphamoe.events.envelope import Envelope, build_event
from alphamoe.events.payloads import OrderApproved, OrderRejected
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages.market_data import MarketData
from alphamoe.pipeline.stages.risk import LATE_PROPOSAL, LateProposalError, RiskStage
from alphamoe.risk.approval import verify
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.engine import RiskEngine
from alphamoe.risk.reservations import MemoryReservations
from alphamoe.risk.state import TradingState
from alphamoe.security import runs
from alphamoe.security.runs import RunMode

NOW = datetime(2025, 3, 31, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture(scope="module")
def data(market_dir: Path) -> MarketData:
    return MarketData(BarStore(market_dir))


@pytest.fixture
def make_stage(data: MarketData, tmp_path: Path) -> Callable[..., RiskStage]:
    def make(limits: RiskLimits | None = None, *, today: date | None = None, timeout_s: float = 300.0) -> RiskStage:
        engine = RiskEngine(
            limits or RiskLimits(), APPROVAL_SECRET, CommissionSchedule(), reservations=MemoryReservations()
        )
        return RiskStage(
            data,
            AccountBook(tmp_path / "accounts", "acc", Decimal("1000000")),
            engine,
            lambda: TradingState.ACTIVE,
            event_key=EVENT_KEY,
            timeout_s=timeout_s,
            today=(lambda: today) if today is not None else None,
            now=lambda: NOW,
        )

    return make


@pytest.fixture(scope="module")
def day(data: MarketData) -> date:
    return data.store.sessions()[-1]


def decide(stage: RiskStage, *events: Envelope[Any]) -> list[Any]:
    return [out.payload for e in events for out in stage.handle(e)]


# -- run tokens -------------------------------------------------------------------------------------------
def test_risk_stage_when_proposal_carries_no_run_token_then_authentication_error(
    make_stage: Callable[..., RiskStage], day: date
) -> None:
    stage = make_stage()
    order = buy(stage, day, tradable(stage, day, 1)[0])
    with pytest.raises(AuthenticationError, match="carries no run token"):
        stage.handle(build_event(order, run_id="forged", source="/alphamoe/size"))
    assert stage.barrier.members("risk:forged") == {}  # refused before it joined any batch


@pytest.mark.parametrize(
    "forge",
    [
        lambda day: runs.issue(b"another-deployment-event-key-0123456789", "R", day, RunMode.SESSION),
        lambda day: runs.issue(EVENT_KEY, "another-run", day, RunMode.SESSION),
        lambda day: runs.issue(EVENT_KEY, "R", day - timedelta(days=1), RunMode.SESSION),
    ],
    ids=["other key", "other run", "other day"],
)
def test_risk_stage_when_run_token_not_this_runs_then_authentication_error(
    make_stage: Callable[..., RiskStage], day: date, forge: Callable[[date], str]
) -> None:
    stage = make_stage(today=day)
    order = buy(stage, day, tradable(stage, day, 1)[0])
    with pytest.raises(AuthenticationError, match="does not match"):
        stage.handle(build_event(order, run_id="R", source="/alphamoe/size", run_token=forge(day)))


# -- today's session only -----------------------------------------------------------------------------------
def test_risk_stage_when_session_run_of_today_then_approved_for_the_session_until_its_close(
    make_stage: Callable[..., RiskStage], day: date
) -> None:
    stage = make_stage(today=day)
    (decision,) = decide(stage, proposal(buy(stage, day, tradable(stage, day, 1)[0]), "R", RunMode.SESSION))
    assert isinstance(decision, OrderApproved)
    assert decision.session == day and decision.simulated is False
    assert decision.expires_at == datetime.combine(day, datetime.min.time().replace(hour=7), UTC)  # 15:00 +08:00
    verify(decision, APPROVAL_SECRET)


def test_risk_stage_when_session_run_for_a_day_16_months_ago_then_every_order_rejected_session_day(
    make_stage: Callable[..., RiskStage], day: date
) -> None:
    # the finding: an order for a session 16 months in the past was approved and filled
    today = day + timedelta(days=487)
    stage = make_stage(today=today)
    symbols = tradable(stage, day, 2)
    events = [proposal(buy(stage, day, s, index=i, size=2), "R-old", RunMode.SESSION) for i, s in enumerate(symbols)]
    decisions = decide(stage, *events)
    assert len(decisions) == 2
    for decision in decisions:
        assert isinstance(decision, OrderRejected)
        assert [v.code for v in decision.violations] == ["SESSION_DAY"]
        assert str(day) in decision.violations[0].message and str(today) in decision.violations[0].message


def test_risk_stage_when_simulation_allowed_then_approvals_simulated_and_expire_after_the_ttl(
    make_stage: Callable[..., RiskStage], day: date
) -> None:
    stage = make_stage(RiskLimits(approval_ttl_s=600), today=day + timedelta(days=3))
    (decision,) = decide(stage, proposal(buy(stage, day, tradable(stage, day, 1)[0]), "S", RunMode.SIMULATION))
    assert isinstance(decision, OrderApproved)
    assert decision.simulated is True and decision.session == day
    assert decision.expires_at == NOW + timedelta(seconds=600)


@pytest.mark.parametrize("mode", [RunMode.SIMULATION, RunMode.REPLAY])
def test_risk_stage_when_simulation_not_allowed_then_rejected_simulation_off(
    make_stage: Callable[..., RiskStage], day: date, mode: RunMode
) -> None:
    stage = make_stage(RiskLimits(allow_simulation=False), today=day)
    (decision,) = decide(stage, proposal(buy(stage, day, tradable(stage, day, 1)[0]), "S", mode))
    assert isinstance(decision, OrderRejected)
    assert [v.code for v in decision.violations] == ["SIMULATION_OFF"]
    assert "ALPHAMOE_RISK__ALLOW_SIMULATION" in decision.violations[0].message


# -- one ledger per account and day -------------------------------------------------------------------------
def test_risk_stage_when_same_stock_proposed_in_five_fresh_runs_then_one_approval(
    make_stage: Callable[..., RiskStage], day: date
) -> None:
    stage = make_stage(RiskLimits(max_position_weight=0.1), today=day)
    symbol = tradable(stage, day, 1)[0]
    price = stage.data.reference(day)[symbol].prev_close
    quantity = int(Decimal("97000") / price) // 100 * 100  # ~9.7% of 1,000,000: each alone under the 10% cap
    events = [
        proposal(buy(stage, day, symbol, quantity, order_id=f"fresh-{i}"), f"run-{i}", RunMode.SESSION)
        for i in range(5)
    ]
    decisions = decide(stage, *events)
    approved = [d for d in decisions if isinstance(d, OrderApproved)]
    assert len(approved) == 1
    assert sum(d.order.quantity * d.order.limit_price for d in approved) <= Decimal("100000")
    assert all("DUPLICATE_ORDER" in [v.code for v in d.violations] for d in decisions if isinstance(d, OrderRejected))


def test_risk_stage_when_replay_of_a_decided_run_then_books_apart_and_approves_simulated(
    make_stage: Callable[..., RiskStage], day: date
) -> None:
    stage = make_stage(today=day)
    order = buy(stage, day, tradable(stage, day, 1)[0])
    (first,) = decide(stage, proposal(order, "R", RunMode.SESSION))
    (rerun,) = decide(stage, proposal(order, "R-rerun1", RunMode.SESSION))
    (replayed,) = decide(stage, proposal(order, "R-replay-1", RunMode.REPLAY))
    assert isinstance(first, OrderApproved) and isinstance(rerun, OrderRejected)
    assert [v.code for v in rerun.violations] == ["DUPLICATE_ORDER"]
    assert isinstance(replayed, OrderApproved)  # re-made in the replay's own ledger
    assert replayed.simulated is True


# -- the batch without loose ends ---------------------------------------------------------------------------
def test_risk_stage_when_a_proposal_is_lost_then_timeout_decides_those_at_hand_and_says_so(
    make_stage: Callable[..., RiskStage], day: date
) -> None:
    stage = make_stage(today=day, timeout_s=30)
    symbols = tradable(stage, day, 3)
    events = [proposal(buy(stage, day, s, index=i, size=3), "R", RunMode.SESSION) for i, s in enumerate(symbols)]
    assert decide(stage, events[0], events[2]) == []  # events[1] was dead-lettered on the way
    assert stage.expire(now=time.time()) == []  # not yet timed out
    outputs = stage.expire(now=time.time() + 31)
    decisions = [o.payload for o in outputs]
    assert [d.order.symbol for d in decisions] == [symbols[0], symbols[2]]
    for decision in decisions:
        assert isinstance(decision, OrderApproved)
        assert "risk batch barrier timed out after 30 s with 2 of 3 proposals" in decision.order.reasons[-1]
    assert {o.causation_id for o in outputs} == {events[0].id, events[2].id}
    assert stage.expire(now=time.time() + 62) == []  # decided once


def test_risk_stage_when_proposal_arrives_after_its_batch_closed_then_refused_late_not_dropped(
    make_stage: Callable[..., RiskStage], day: date
) -> None:
    stage = make_stage(today=day, timeout_s=30)
    symbols = tradable(stage, day, 2)
    first, late = (proposal(buy(stage, day, s, index=i, size=2), "R", RunMode.SESSION) for i, s in enumerate(symbols))
    decide(stage, first)
    assert len(stage.expire(now=time.time() + 31)) == 1
    with pytest.raises(LateProposalError, match=f"{LATE_PROPOSAL}: order {day}:acc:{symbols[1]}:BUY") as refused:
        stage.handle(late)
    assert isinstance(refused.value, EventError)  # the runtime answers 4xx and parks it
    assert refused.value.field == "batch_index"
    assert stage.handle(first) == []  # a redelivery of a decided proposal is not late: nothing new


def test_risk_stage_when_batch_complete_then_a_later_proposal_of_the_run_is_late(
    make_stage: Callable[..., RiskStage], day: date
) -> None:
    stage = make_stage(today=day)
    one, two = tradable(stage, day, 2)
    (decision,) = decide(stage, proposal(buy(stage, day, one), "R", RunMode.SESSION))
    assert isinstance(decision, OrderApproved)
    with pytest.raises(LateProposalError, match="after its batch was closed by"):
        stage.handle(proposal(buy(stage, day, two, index=1, size=2), "R", RunMode.SESSION))
