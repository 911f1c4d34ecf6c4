"""ALPHAMOE_QUOTES__SOURCE in the functions: a cluster trades a day its store lacks yet (it is added only that
evening) on the day's opening rows and a quote feed, with the stages `pipeline.factory` builds for a function.

The scan of the day on its opening rows proposes what it proposes on the day's stored bars, and execute,
given no feed between the open and the close (a function only hears order.approved and market.close),
feeds the session at market.close: the account equals the run of the same day on the stored bar.
(`run_day` feeds the quotes itself after the open, so the fabric's order of events is driven here.)

Before: the setting did not exist, the functions read only their bar store, and a day not in it failed
("no bars for …")."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from support.keys import APPROVAL_SECRET
from support.store_vendor import season_stores

from alphamoe.bus.memory import InMemoryBus
from alphamoe.events import payloads as ev
from alphamoe.events.envelope import build_event
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.factory import Stages, build_stage, build_stages
from alphamoe.pipeline.run import SUBSCRIPTIONS, run_day, with_event_key
from alphamoe.pipeline.stages.scan import ScanStage
from alphamoe.portfolio import AccountState
from alphamoe.quotes.config import QuoteSettings
from alphamoe.quotes.replay import StoreReplay
from alphamoe.router.config import RouteSettings
from alphamoe.security import runs
from alphamoe.security.keys import require_key
from alphamoe.security.runs import RunMode
from alphamoe.settings import Settings


def settings(data: Path, runs: Path, quotes: QuoteSettings | None = None) -> Settings:
    return with_event_key(
        Settings(
            data=data,
            runs=runs,
            approval_secret=APPROVAL_SECRET.decode(),
            route=RouteSettings(mode="none"),
            quotes=quotes or QuoteSettings(),
        )
    )


def test_quote_settings_when_set_in_env_then_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAMOE_QUOTES__SOURCE", "replay")
    monkeypatch.setenv("ALPHAMOE_QUOTES__REPLAY_STORE", "/srv/market")
    assert Settings().quotes == QuoteSettings(source="replay", replay_store=Path("/srv/market"))


def test_scan_when_day_not_in_store_and_quotes_set_then_signals_as_on_the_stored_day(
    market_dir: Path, tmp_path: Path
) -> None:
    day = BarStore(market_dir).sessions()[-1]
    target = season_stores(market_dir, tmp_path / "store", day)
    replay = QuoteSettings(source="replay", replay_store=market_dir)
    secret = secrets.token_bytes(32)
    on_quotes = build_stage("scan", settings(target, tmp_path / "a", replay), secret=secret)
    on_bars = build_stage("scan", settings(market_dir, tmp_path / "b"), secret=secret)
    assert isinstance(on_quotes, ScanStage) and isinstance(on_bars, ScanStage)
    opened = build_event(ev.MarketOpen(trading_day=day, account_id="paper"), run_id="r", source="/test")
    signals = [o.payload.model_dump() for o in on_quotes.handle(opened)]
    assert signals == [o.payload.model_dump() for o in on_bars.handle(opened)]
    assert len(signals) > 1, "a scan without a signal proves nothing"


def fabric_day(settings: Settings, stages: Stages, day: date) -> tuple[AccountState, list[tuple[object, ...]]]:
    """Run `day` as the functions see it: market.open, then market.close, nothing in between; the closing
    account and the fills."""
    token = runs.issue(require_key(settings.event_key, "event key"), "run", day, RunMode.SIMULATION)
    bus = InMemoryBus()
    for name, types in SUBSCRIPTIONS.items():
        for event_type in types:
            if name == "route":
                bus.subscribe_batch(event_type, stages.route.route_many)
            else:
                bus.subscribe(event_type, stages.by_name(name).handle)
    for root in (
        ev.MarketOpen(trading_day=day, account_id="paper"),
        ev.MarketClose(trading_day=day, account_id="paper"),
    ):
        bus.publish(build_event(root, run_id="run", source="/test", run_token=token))
        bus.drain()
    fills = [e.payload for e in bus.log if isinstance(e.payload, ev.OrderFilled)]
    return stages.execute.closing(day), [(f.symbol, f.fill_quantity, f.fill_price, f.fees) for f in fills]


def test_execute_when_no_feed_before_close_then_close_feeds_the_session_as_the_bar_fills(
    market_dir: Path, tmp_path: Path
) -> None:
    day = BarStore(market_dir).sessions()[-1]
    target = season_stores(market_dir, tmp_path / "store", day)
    cluster = settings(target, tmp_path / "cluster", QuoteSettings(source="replay", replay_store=market_dir))
    stages = build_stages(cluster, secret=APPROVAL_SECRET)
    assert isinstance(stages.execute.quotes, StoreReplay)
    closed, fills = fabric_day(cluster, stages, day)

    reference = run_day(settings(market_dir, tmp_path / "bars"), day).report
    assert fills and sorted(fills) == sorted((f.symbol, f.quantity, f.price, f.fees) for f in reference.fills)
    assert closed.cash.quantize(Decimal("0.01")) == reference.cash.quantize(Decimal("0.01"))
    assert {p.symbol: p.quantity for p in closed.positions} == {p.symbol: p.quantity for p in reference.positions}
