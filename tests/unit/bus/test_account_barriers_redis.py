"""Several accounts share one Redis (issue 20): each account's size and risk decide their own batch of a run.

The day's signals are shared (scan and route run once), so before the batch keys carried the account, the
first account's size closed the run's one batch and every other account proposed nothing; and two accounts'
proposals with the same batch index replaced each other in risk's batch.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.keys import APPROVAL_SECRET, EVENT_KEY

from alphamoe.events import Envelope
from alphamoe.events import payloads as ev
from alphamoe.kv.client import connect
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.barrier import MemoryBarrier, RedisBarrier
from alphamoe.pipeline.factory import build_stage
from alphamoe.pipeline.run import run_day
from alphamoe.pipeline.stages.risk import RiskStage
from alphamoe.pipeline.stages.size import SizeStage
from alphamoe.settings import Settings

ACCOUNTS = {"big": Decimal("2000000"), "small": Decimal("600000")}


@pytest.fixture(scope="module")
def day_events(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Envelope[Any]]:
    day = BarStore(market_dir).sessions()[-2]
    settings = Settings(
        data=market_dir,
        runs=tmp_path_factory.mktemp("accounts-ref"),
        approval_secret=APPROVAL_SECRET.decode(),
        event_key=EVENT_KEY.decode(),
    )
    return list(run_day(settings, day).events)


def settings_of(market_dir: Path, runs: Path, account: str) -> Settings:
    return Settings(
        data=market_dir, runs=runs, account_id=account, initial_cash=ACCOUNTS[account], event_key=EVENT_KEY.decode()
    )


def size(market_dir: Path, runs: Path, account: str, redis_url: str | None) -> SizeStage:
    stage = build_stage("size", settings_of(market_dir, runs, account), secret=b"")
    assert isinstance(stage, SizeStage)
    stage.barrier = RedisBarrier(connect(redis_url), ttl_s=600) if redis_url else MemoryBarrier()
    return stage


def risk(market_dir: Path, runs: Path, account: str, redis_url: str | None) -> RiskStage:
    stage = build_stage("risk", settings_of(market_dir, runs, account), secret=APPROVAL_SECRET)
    assert isinstance(stage, RiskStage)
    stage.barrier = RedisBarrier(connect(redis_url), ttl_s=600) if redis_url else MemoryBarrier()
    return stage


def handled(stage: SizeStage | RiskStage, events: list[Envelope[Any]]) -> list[Envelope[Any]]:
    return [out for e in events for out in stage.handle(e)]


def shared_inputs(events: list[Envelope[Any]]) -> list[Envelope[Any]]:
    return [e for e in events if isinstance(e.payload, ev.SignalRouted | ev.ScanCompleted)]


def proposals(outputs: list[Envelope[Any]]) -> list[Envelope[Any]]:
    return [o for o in outputs if isinstance(o.payload, ev.OrderProposed)]


def decided(outputs: list[Envelope[Any]]) -> list[tuple[str, str]]:
    return sorted((type(o.payload).__name__, o.payload.order.order_id) for o in outputs)


def test_size_and_risk_when_two_accounts_share_one_redis_then_each_decides_as_alone(
    day_events: list[Envelope[Any]], market_dir: Path, tmp_path: Path, redis_url: str
) -> None:
    inputs = shared_inputs(day_events)
    alone = {a: handled(size(market_dir, tmp_path, a, None), inputs) for a in ACCOUNTS}
    sizes = {a: size(market_dir, tmp_path, a, redis_url) for a in ACCOUNTS}
    together: dict[str, list[Envelope[Any]]] = {a: [] for a in ACCOUNTS}
    for big, small in zip(inputs, reversed(inputs), strict=True):  # each function sees its own arrival order
        together["big"] += sizes["big"].handle(big)
        together["small"] += sizes["small"].handle(small)
    for a in ACCOUNTS:
        assert proposals(alone[a]), f"{a}: the day proposed nothing, the comparison would be empty"
        assert sorted(o.id for o in together[a]) == sorted(o.id for o in alone[a])
    risks = {a: risk(market_dir, tmp_path, a, redis_url) for a in ACCOUNTS}
    decisions = {a: handled(risks[a], proposals(together[a])) for a in ACCOUNTS}
    for a in ACCOUNTS:
        expected = handled(risk(market_dir, tmp_path / "alone", a, None), proposals(alone[a]))
        assert decided(decisions[a]) == decided(expected)
        assert len(decisions[a]) == len(proposals(alone[a]))
    assert handled(risks["big"], proposals(together["small"])) == []  # the other account's risk decides those
