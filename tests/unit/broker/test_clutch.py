"""The clutch: with it disengaged the pipeline decides and risk approves, but execute sends nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from support.broker_day import opens
from support.keys import APPROVAL_SECRET as SECRET
from support.sim_desk import FAST, SimDesk, approval, buy_order, opening

from alphamoe.broker.clutch import Clutch, MemoryClutch, RedisClutch
from alphamoe.broker.config import BrokerSettings
from alphamoe.broker.simulated.exchange import SimExchange
from alphamoe.broker.wiring import execute_options
from alphamoe.events.payloads import OrderFilled, OrderSubmitted
from alphamoe.market.bars import BarStore
from alphamoe.market.fees import CommissionSchedule
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.stages.execute import ExecuteStage
from alphamoe.pipeline.stages.market_data import MarketData

AT = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)


def _stage(sim: SimDesk, store: BarStore, tmp_path: Path, clutch: Clutch) -> ExecuteStage:
    return ExecuteStage(
        MarketData(store),
        AccountBook(tmp_path, "acc", Decimal("1000000")),
        SECRET,
        CommissionSchedule(),
        journal=sim.journal,
        brokers=sim.broker,
        desk=FAST,
        clutch=clutch,
    )


@pytest.fixture
def sim() -> SimDesk:
    return SimDesk(exchange=SimExchange(opening(), opens()))


def test_execute_when_clutch_disengaged_then_order_parked_with_reason_and_nothing_sent(
    sim: SimDesk, store: BarStore, tmp_path: Path
) -> None:
    clutch = MemoryClutch()
    clutch.set("acc", False, "watching the open only", at=AT)
    stage = _stage(sim, store, tmp_path, clutch)
    assert stage.handle(approval(buy_order(), SECRET, "run-1")) == []
    assert sim.exchange.sends.total() == 0
    parked = sim.journal.parked()[-1]
    assert "clutch DISENGAGED (watching the open only" in parked["reason"] and "not sent" in parked["reason"]


def test_execute_when_clutch_engaged_again_then_next_order_sent(sim: SimDesk, store: BarStore, tmp_path: Path) -> None:
    clutch = MemoryClutch()
    clutch.set("acc", False, "pause", at=AT)
    clutch.set("acc", True, "back", at=AT)
    outputs = _stage(sim, store, tmp_path, clutch).handle(approval(buy_order(), SECRET, "run-1"))
    assert [type(e.payload) for e in outputs] == [OrderSubmitted, OrderFilled]


def test_redis_clutch_when_set_then_every_reader_sees_it_and_default_is_engaged(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    assert RedisClutch(client).status("acc").engaged
    RedisClutch(client).set("acc", False, "drill", at=AT)
    seen = RedisClutch(redis.Redis.from_url(redis_url, decode_responses=True)).status("acc")
    assert (seen.engaged, seen.reason, seen.since) == (False, "drill", AT.isoformat(timespec="seconds"))
    assert RedisClutch(client).status("other").engaged


def test_execute_options_when_redis_then_execute_reads_the_clutch_in_redis(redis_url: str) -> None:
    options = execute_options(BrokerSettings(), redis_url, "acc", CommissionSchedule())
    assert isinstance(options["clutch"], RedisClutch)
    assert options["clutch"].key("acc") == "alphamoe:execute:{acc}:clutch"
