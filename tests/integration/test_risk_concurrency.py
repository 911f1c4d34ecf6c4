"""Several risk replicas against one real Redis: together they never pass a limit; a halt stops them at once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.events.payloads import OrderApproved, OrderProposed, OrderRejected
from alphamoe.kv.client import connect
from alphamoe.market.fees import CommissionSchedule, trade_fees
from alphamoe.market.limits import limit_prices
from alphamoe.market.reference import ReferenceData
from alphamoe.portfolio import AccountState, Position
from alphamoe.risk.config import RiskLimits
from alphamoe.risk.engine import Decision, RiskEngine
from alphamoe.risk.reservations import MemoryReservations, RedisReservations, ReservationBook
from alphamoe.risk.state import TradingState
from alphamoe.risk.switch import RedisSwitch
from alphamoe.types import Side

pytestmark = pytest.mark.integration

DAY = date(2024, 6, 3)
SECRET = b"replica-secret"
SYMBOLS = ("600000.SH", "600004.SH", "600006.SH", "600007.SH")
REFERENCE = {
    s: ReferenceData(
        s, DAY, Decimal("10.00"), False, 500, limit_prices(s, Decimal("10.00"), DAY, listing_day_index=500)
    )
    for s in SYMBOLS
}
LIMITS = RiskLimits(
    max_position_weight=0.02,  # 2,400 CNY of 120,000 equity per stock: at most two 1,000-CNY buys each
    max_board_weight=1.0,
    max_industry_weight=1.0,
    max_orders_per_second=299,
)
ACCOUNT = AccountState(
    account_id="acc",
    trading_day=DAY,
    cash=Decimal("110000"),
    positions=(
        Position(symbol="600000.SH", quantity=1000, sellable=700, cost=Decimal("10000"), last_price=Decimal("10")),
    ),
)
REPLICAS, PER_REPLICA = 4, 12


def batch(replica: int) -> list[OrderProposed]:
    """Each replica's share: 9 buys of 100 shares on three stocks, 3 sells of 100, one order id shared by all."""
    out = []
    for k in range(PER_REPLICA):
        side = Side.SELL if k % 4 == 3 else Side.BUY
        symbol = "600000.SH" if side == Side.SELL else SYMBOLS[1 + k % 3]
        order_id = "shared-order" if k == 0 else f"r{replica}-{k}"
        out.append(
            OrderProposed(
                trading_day=DAY,
                order_id=order_id,
                account_id="acc",
                symbol=symbol,
                side=side,
                quantity=100,
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
        out = engine.evaluate_batch(DAY, batch(i), ACCOUNT, REFERENCE, TradingState.ACTIVE, run="live")
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
            + trade_fees(o.symbol, o.side, o.quantity * o.limit_price, DAY, CommissionSchedule())
            for o in buys
        ),
        Decimal(0),
    )
    if cost > ACCOUNT.cash:
        found.append(f"cash: {cost} > {ACCOUNT.cash}")
    for symbol in SYMBOLS[1:]:
        value = sum((o.quantity * o.limit_price for o in buys if o.symbol == symbol), Decimal(0))
        if value > ACCOUNT.equity * Decimal("0.02"):
            found.append(f"weight of {symbol}: {value}")
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
    # 3 stocks × 2 buys fit the 2% cap; 700 sellable shares = 7 sells of 100; one copy of the shared id
    assert sum(d.order.side == Side.BUY for d in approved) == 6
    assert sum(d.order.quantity for d in approved if d.order.side == Side.SELL) == 700
    refused = [v for d in decisions if isinstance(d, OrderRejected) for v in d.violations]
    assert any("booked concurrently" in v.message for v in refused)  # the atomic step, not the local view, said no
    ledger = books[0].snapshot("acc:2024-06-03:live")
    assert ledger.used["sell:600000.SH"] == 700
    assert ledger.used["orders"] == len(approved)


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
    orders = [o for o in batch(0) if o.side == Side.BUY][:4]
    seen: list[str] = []

    def halt_after_first(decision: Decision) -> None:
        seen.append(decision.order.order_id)
        if len(seen) == 1:
            operator.set("acc", TradingState.HALTED, "operator: broker outage", at=datetime.now(UTC))

    decisions = engine.evaluate_batch(
        DAY, orders, ACCOUNT, REFERENCE, TradingState.ACTIVE, run="halt", on_decision=halt_after_first
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


def test_risk_stage_when_halted_between_events_then_next_batch_rejected_and_resume_reopens(
    redis_url: str, market_dir: Path, tmp_path: Path
) -> None:
    from alphamoe.events.envelope import build_event
    from alphamoe.pipeline.factory import build_stage
    from alphamoe.pipeline.stages.risk import RiskStage
    from alphamoe.settings import Settings

    settings = Settings(data=market_dir, runs=tmp_path, redis_url=redis_url, account_id="acc")
    stage = build_stage("risk", settings, secret=SECRET)
    assert isinstance(stage, RiskStage)
    day = stage.data.store.sessions()[-1]
    reference = stage.data.reference(day)
    facts = stage.facts.facts(day)
    symbols = [
        s
        for s, r in sorted(reference.items())
        if s.startswith("600") and not r.st and s not in facts.locked_limit_up and s not in facts.delisting
    ][:2]

    def envelopes(run: str) -> list[Any]:
        return [
            build_event(
                OrderProposed(
                    trading_day=day,
                    order_id=f"{day}:acc:{s}:BUY",
                    account_id="acc",
                    symbol=s,
                    side=Side.BUY,
                    quantity=100,
                    limit_price=reference[s].prev_close,
                    reference_price=reference[s].prev_close,
                    target_weight=0.01,
                    kelly_fraction=0.1,
                    batch_index=i,
                    batch_size=2,
                ),
                run_id=run,
                source="/alphamoe/size",
            )
            for i, s in enumerate(symbols)
        ]

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
