"""Several risk replicas against one real Redis: together they never pass a limit; a halt stops them at once.

Risk books one ledger per account and day and derives order ids itself, so neither a second replica, nor a
fresh run id, nor a fresh order id can book the day's limits twice.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.approvals import buy, proposal, tradable
from support.keys import APPROVAL_SECRET, EVENT_KEY
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.events.payloads import OrderApproved, OrderProposed, OrderRejected
from alphamoe.kv.client import connect
from alphamoe.market.fees import CommissionSchedule, trade_fees
from alphamoe.market.limits import limit_prices
from alphamoe.market.reference import ReferenceData
from alphamoe.pipeline.factory import build_stage
from alphamoe.pipeline.stages.risk import LateProposalError, RiskStage
from alphamoe.portfolio import AccountState, Position
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.engine import Decision, RiskEngine, scope_of
from alphamoe.risk.reservations import MemoryReservations, RedisReservations, ReservationBook
from alphamoe.risk.state import TradingState
from alphamoe.risk.switch import RedisSwitch
from alphamoe.security.runs import RunMode
from alphamoe.settings import Settings
from alphamoe.types import Side

pytestmark = pytest.mark.integration

DAY = date(2024, 6, 3)
SECRET = APPROVAL_SECRET
HELD = "600000.SH"
SYMBOLS = tuple(f"6001{i:02d}.SH" for i in range(16))
REFERENCE = {
    s: ReferenceData(
        s, DAY, Decimal("10.00"), False, 500, limit_prices(s, Decimal("10.00"), DAY, listing_day_index=500)
    )
    for s in (HELD, *SYMBOLS)
}
LIMITS = RiskLimits(max_position_weight=1.0, max_board_weight=1.0, max_industry_weight=1.0, max_orders_per_second=299)
ACCOUNT = AccountState(
    account_id="acc",
    trading_day=DAY,
    cash=Decimal("95000"),  # nine buys of 10,005.10 CNY (10,000 + 5 commission + 0.10 transfer fee), not ten
    positions=(Position(symbol=HELD, quantity=1000, sellable=700, cost=Decimal("10000"), last_price=Decimal("10")),),
)
REPLICAS, PER_REPLICA = 4, 9


def batch(replica: int) -> list[OrderProposed]:
    """Each replica's share: buys of 1,000 shares of eight stocks (each stock also in another replica's share,
    under another order id) and a sell of the held stock, whose quantity differs by replica."""
    out = []
    for k in range(PER_REPLICA):
        side = Side.SELL if k == PER_REPLICA - 1 else Side.BUY
        symbol = HELD if side == Side.SELL else SYMBOLS[(4 * replica + k) % len(SYMBOLS)]
        out.append(
            OrderProposed(
                trading_day=DAY,
                order_id=f"r{replica}-{k}",  # the sender's: risk derives its own
                account_id="acc",
                symbol=symbol,
                side=side,
                quantity=100 * (replica + 5) if side == Side.SELL else 1000,
                limit_price=Decimal("10.00"),
                reference_price=Decimal("10.00"),
                target_weight=0.01,
                kelly_fraction=0.1,
            )
        )
    return out


def run_replicas(book_for: list[ReservationBook]) -> list[Decision]:
    decisions: list[Decision] = []
    lock, start = threading.Lock(), threading.Barrier(REPLICAS)

    def replica(i: int) -> None:
        engine = RiskEngine(LIMITS, SECRET, CommissionSchedule(), reservations=book_for[i])
        start.wait()
        out = engine.evaluate_batch(DAY, batch(i), ACCOUNT, REFERENCE, TradingState.ACTIVE)
        with lock:
            decisions.extend(out)

    threads = [threading.Thread(target=replica, args=(i,)) for i in range(REPLICAS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return decisions


def breaches(decisions: list[Decision]) -> list[str]:
    approved = [d.order for d in decisions if isinstance(d, OrderApproved)]
    found = []
    buys = [o for o in approved if o.side == Side.BUY]
    cost = sum(
        (
            o.quantity * o.limit_price
            + trade_fees(o.symbol, o.side, o.quantity, o.limit_price, DAY, CommissionSchedule())
            for o in buys
        ),
        Decimal(0),
    )
    if cost > ACCOUNT.cash:
        found.append(f"cash: {cost} > {ACCOUNT.cash}")
    sold = sum(o.quantity for o in approved if o.side == Side.SELL)
    if sold > 700:
        found.append(f"sells {sold} > 700 sellable")
    ids = [o.order_id for o in approved]
    if len(ids) != len(set(ids)):
        found.append("an order id approved twice")
    return found


def test_replicas_when_sharing_redis_reservations_then_no_limit_breached_together(redis_url: str) -> None:
    books: list[ReservationBook] = [RedisReservations(connect(redis_url)) for _ in range(REPLICAS)]
    decisions = run_replicas(books)
    assert len(decisions) == REPLICAS * PER_REPLICA
    assert breaches(decisions) == []
    approved = [d for d in decisions if isinstance(d, OrderApproved)]
    assert sum(d.order.side == Side.BUY for d in approved) == 9  # the cash of nine, across four replicas
    assert sum(d.order.side == Side.SELL for d in approved) == 1  # one sell of the stock per day, whoever asks
    refused = [v for d in decisions if isinstance(d, OrderRejected) for v in d.violations]
    assert any("booked concurrently" in v.message for v in refused)  # the atomic step, not the local view, said no
    ledger = books[0].snapshot(scope_of("acc", DAY))
    assert ledger.used["orders"] == len(approved)
    assert ledger.ids == {d.order.order_id for d in approved}


def test_replicas_when_each_books_alone_then_they_breach_together(redis_url: str) -> None:
    # the control: without a shared book every replica sees only its own orders and the account is overdrawn
    decisions = run_replicas([MemoryReservations() for _ in range(REPLICAS)])
    assert breaches(decisions)


def test_kill_switch_when_halted_in_redis_mid_batch_then_next_order_rejected_with_reason(redis_url: str) -> None:
    engine = RiskEngine(
        LIMITS,
        SECRET,
        CommissionSchedule(),
        reservations=RedisReservations(connect(redis_url)),
        switch=RedisSwitch(connect(redis_url)),
    )
    operator = RedisSwitch(connect(redis_url))  # another process: the CLI
    orders = [o for o in batch(0) if o.side == Side.BUY][:4]  # four stocks
    seen: list[str] = []

    def halt_after_first(decision: Decision) -> None:
        seen.append(decision.order.order_id)
        if len(seen) == 1:
            operator.set("acc", TradingState.HALTED, "operator: broker outage", at=datetime.now(UTC))

    decisions = engine.evaluate_batch(
        DAY, orders, ACCOUNT, REFERENCE, TradingState.ACTIVE, on_decision=halt_after_first
    )
    assert isinstance(decisions[0], OrderApproved)
    nxt = decisions[1]
    assert isinstance(nxt, OrderRejected)
    assert [v.code for v in nxt.violations] == ["KILL_SWITCH"]
    assert nxt.trading_state.startswith("HALTED (operator: broker outage")
    assert all(isinstance(d, OrderRejected) for d in decisions[1:])


def test_redis_switch_when_loss_limits_trip_then_state_and_reason_in_redis(redis_url: str) -> None:
    switch = RedisSwitch(connect(redis_url))
    at = datetime(2024, 6, 3, 1, 20, tzinfo=UTC)
    switch.observe_equity("acc", date(2024, 5, 31), Decimal("1000000"), LIMITS, at=at)
    status = switch.observe_equity("acc", date(2024, 6, 3), Decimal("790000"), LIMITS, at=at)
    assert status.state == TradingState.HALTED
    raw = connect(redis_url).hgetall("alphamoe:risk:{acc}:state")
    assert raw["state"] == "HALTED" and "drawdown" in raw["reason"] and raw["since"] == "2024-06-03T01:20:00+00:00"
    assert switch.set("acc", TradingState.ACTIVE, "reviewed", at=at).state == TradingState.ACTIVE
    assert connect(redis_url).hget("alphamoe:risk:{acc}:equity", "peak") == "790000"


def test_cli_risk_halt_status_resume_when_run_then_state_in_redis(redis_url: str) -> None:
    runner = CliRunner()
    env = {"ALPHAMOE_REDIS_URL": redis_url, "ALPHAMOE_ACCOUNT_ID": "acc"}
    halted = runner.invoke(app, ["risk", "halt", "--reason", "fat-finger check"], env=env)
    assert halted.exit_code == 0, halted.output
    assert "HALTED (fat-finger check" in halted.output
    assert RedisSwitch(connect(redis_url)).status("acc").state == TradingState.HALTED
    status = runner.invoke(app, ["risk", "status"], env=env)
    assert "HALTED (fat-finger check" in status.output
    resumed = runner.invoke(app, ["risk", "resume"], env=env)
    assert resumed.exit_code == 0 and "ACTIVE (resumed by hand" in resumed.output
    assert RedisSwitch(connect(redis_url)).status("acc").state == TradingState.ACTIVE


def _risk_stage(redis_url: str, market_dir: Path, runs_dir: Path, **fields: Any) -> RiskStage:
    """Return a risk replica as a function builds it: Redis reservations, switch and barrier, the event key."""
    settings = Settings(
        data=market_dir, runs=runs_dir, redis_url=redis_url, account_id="acc", event_key=EVENT_KEY.decode(), **fields
    )
    stage = build_stage("risk", settings, secret=SECRET)
    assert isinstance(stage, RiskStage)
    return stage


def test_risk_stage_when_halted_between_events_then_next_batch_rejected_and_resume_reopens(
    redis_url: str, market_dir: Path, tmp_path: Path
) -> None:
    stage = _risk_stage(redis_url, market_dir, tmp_path)
    day = stage.data.store.sessions()[-1]
    symbols = tradable(stage, day, 2)

    def envelopes(run: str) -> list[Any]:
        return [proposal(buy(stage, day, s, index=i, size=2), run) for i, s in enumerate(symbols)]

    switch = RedisSwitch(connect(redis_url))
    switch.set("acc", TradingState.HALTED, "operator: halt the day", at=datetime.now(UTC))
    halted = [out for e in envelopes("run-1") for out in stage.handle(e)]
    assert len(halted) == 2
    for event in halted:
        assert isinstance(event.payload, OrderRejected)
        assert event.payload.trading_state.startswith("HALTED (operator: halt the day")
    switch.set("acc", TradingState.ACTIVE, "resumed", at=datetime.now(UTC))
    resumed = [out for e in envelopes("run-2") for out in stage.handle(e)]
    assert [type(e.payload) for e in resumed] == [OrderApproved, OrderApproved]


def test_risk_stages_when_five_fresh_runs_propose_one_stock_under_fresh_ids_then_within_the_weight_cap(
    redis_url: str, market_dir: Path, tmp_path: Path
) -> None:
    # the finding: five order.proposed, each with a fresh run id and order id, were all signed and filled
    # (487,200 CNY in one stock, 48.7% of equity against the 10% cap); two replicas share the day's ledger
    replicas = [_risk_stage(redis_url, market_dir, tmp_path) for _ in range(2)]
    stage = replicas[0]
    day = stage.data.store.sessions()[-1]
    symbol = tradable(stage, day, 1)[0]
    price = stage.data.reference(day)[symbol].prev_close
    cap = Decimal(str(RiskLimits().max_position_weight)) * Decimal("1000000")
    quantity = int(cap * Decimal("0.95") / price) // 100 * 100  # each alone under the cap of the 1,000,000 equity
    decisions = [
        out.payload
        for i in range(5)
        for out in replicas[i % 2].handle(
            proposal(buy(stage, day, symbol, quantity, order_id=f"forged-{i}"), f"fresh-run-{i}")
        )
    ]
    assert len(decisions) == 5
    approved = [d for d in decisions if isinstance(d, OrderApproved)]
    notional = sum((d.order.quantity * d.order.limit_price for d in approved), Decimal(0))
    assert notional <= cap
    assert len(approved) == 1 and approved[0].order.order_id == f"{day}:acc:{symbol}:BUY"


def test_risk_stages_when_redis_barrier_times_out_then_decided_once_and_late_proposal_refused(
    redis_url: str, market_dir: Path, tmp_path: Path
) -> None:
    stage, other = (_risk_stage(redis_url, market_dir, tmp_path) for _ in range(2))
    day = stage.data.store.sessions()[-1]
    symbols = tradable(stage, day, 3)
    events = [proposal(buy(stage, day, s, index=i, size=3), "R", RunMode.SIMULATION) for i, s in enumerate(symbols)]
    assert stage.handle(events[0]) == [] and other.handle(events[1]) == []  # events[2] is lost on the way
    timeout = stage.timeout_s
    decided = stage.expire(now=time.time() + timeout + 1)
    assert other.expire(now=time.time() + timeout + 1) == []  # the other replica sees it closed
    assert [type(e.payload) for e in decided] == [OrderApproved, OrderApproved]
    assert all("timed out" in e.payload.order.reasons[-1] for e in decided)
    with pytest.raises(LateProposalError, match="LATE_PROPOSAL"):
        other.handle(events[2])
    assert other.handle(events[1]) == []  # a redelivery of a decided proposal: nothing new, no error
