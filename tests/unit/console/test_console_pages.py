"""What the console's pages show, against the sources they read: the report, the account, Redis."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import redis
from support.browser import serve
from support.console import console_app, csrf_of, sign_in, store_backtest, store_hand_day, users
from support.report_day import CLOSING, DAY

from alphamoe.broker.clutch import RedisClutch
from alphamoe.bus.redis import DLQ, DLQ_BYTES, RedisBus
from alphamoe.console.views import ConsoleData, stage_rows
from alphamoe.settings import Settings


def test_today_when_day_stored_then_verdicts_reasons_rejection_rules_shown(tmp_path: Path) -> None:
    store_hand_day(tmp_path)
    _, client = console_app(tmp_path, None, users=users())
    sign_in(client, "bob")
    page = client.get("/today").text
    for text in ("600000.SH", "600004.SH", "MA5 above MA20: trend intact", "RSI(14) 86 at or above 80: overheated",
                 "max_name_weight", "weight 0.12 above the 0.10 cap"):  # fmt: skip
        assert text in page, text
    assert "Redis unreachable" in page  # no Redis configured: said, not hidden


def test_account_when_snapshot_stored_then_positions_and_t1_split_equal_it(tmp_path: Path) -> None:
    store_hand_day(tmp_path)
    view = ConsoleData(Settings(runs=tmp_path, data=tmp_path / "none")).account("paper")
    assert view is not None
    assert [(p.symbol, p.quantity, p.sellable, p.cost) for p in view.positions] == [
        (p.symbol, p.quantity, p.sellable, p.cost) for p in CLOSING.positions
    ]
    assert view.positions[0].pnl == CLOSING.positions[0].last_price * 100 - CLOSING.positions[0].cost
    _, client = console_app(tmp_path, None, users=users())
    sign_in(client, "bob")
    page = client.get("/account").text
    assert 'data-symbol="600519.SH"' in page and "990,000.00" in page


def test_history_when_searched_by_verdict_and_symbol_then_only_matching_rows(tmp_path: Path) -> None:
    store_hand_day(tmp_path)
    _, client = console_app(tmp_path, None, users=users())
    sign_in(client, "bob")
    vetoed = client.get("/history", params={"verdict": "veto"}).text
    assert "600004.SH" in vetoed and "600000.SH</td>" not in vetoed
    by_symbol = client.get("/history", params={"symbol": "600000", "day": str(DAY)[:7]}).text
    assert "600000.SH" in by_symbol and "600004.SH" not in by_symbol


def test_history_when_backtest_stored_then_its_trades_searchable_beside_the_runs(tmp_path: Path) -> None:
    store_hand_day(tmp_path)
    store_backtest(tmp_path / "backtests" / "tb-2024q1")
    _, client = console_app(tmp_path, None, users=users())
    sign_in(client, "bob")
    page = client.get("/history", params={"symbol": "600519"}).text
    assert "tb-2024q1/result.json" in page and "confirm 0.70: trend, liquidity" in page
    assert "exit: close below MA10" in page and "buy 100 @ 1700.00" in page
    confirmed = client.get("/history", params={"symbol": "600519", "verdict": "confirm", "day": "2024-03"}).text
    assert "confirm 0.70: trend, liquidity" in confirmed and "exit: close below MA10" not in confirmed
    assert "tb-2024q1" not in client.get("/history", params={"verdict": "veto"}).text  # vetoes: counted only
    assert "600004.SH" in client.get("/history", params={"verdict": "veto"}).text  # the runs' still searched


def test_clutch_when_operator_disengages_then_execute_reads_it_disengaged(tmp_path: Path, redis_url: str) -> None:
    _, client = console_app(tmp_path, redis_url, users=users())
    sign_in(client, "ann")
    token = csrf_of(client.get("/risk").text)
    form = {"csrf": token, "reason": "decide only today", "confirm": "yes", "account": "paper"}
    assert client.post("/risk/disengage", data=form).status_code == 303
    status = RedisClutch(redis.Redis.from_url(redis_url, decode_responses=True)).status("paper")
    assert (status.engaged, status.reason) == (False, "decide only today")
    assert "DISENGAGED (decide only today" in client.get("/risk").text


def test_dead_letter_when_requeued_then_back_on_its_stream_and_gone_from_the_queue(
    tmp_path: Path, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    bus = RedisBus(client)
    stream = "alphamoe:com.alphamoe.signal.generated"
    requeue = bus.park("route answered 500", {"stream": stream, "fields": {"x": "1"}}, source="bridge")
    discard = bus.park("malformed", {"stream": stream, "fields": {"x": "2"}}, source="bridge")
    _, web = console_app(tmp_path, redis_url, users=users())
    sign_in(web, "ann")
    token = csrf_of(web.get("/fabric").text)
    form = {"csrf": token, "reason": "route fixed", "confirm": "yes"}
    assert web.post(f"/fabric/dead-letters/{requeue}/requeue", data=form).status_code == 303
    assert web.post(f"/fabric/dead-letters/{discard}/discard", data=form).status_code == 303
    assert [f for _, f in client.xrange(stream)] == [{"x": "1"}]
    assert client.xlen(DLQ) == 0 and int(client.get(DLQ_BYTES) or 0) == 0
    assert web.post(f"/fabric/dead-letters/{discard}/discard", data=form).status_code == 409  # already gone


def test_live_when_a_stage_gets_work_then_the_stream_pushes_it(tmp_path: Path, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    stream = "alphamoe:com.alphamoe.order.proposed"
    client.xgroup_create(stream, "risk", id="0", mkstream=True)
    _, web = console_app(tmp_path, redis_url, users=users())
    sign_in(web, "ann")
    cookies = dict(web.cookies)
    with serve(web.app) as url, httpx.stream("GET", f"{url}/live", cookies=cookies, timeout=10) as events:
        lines = events.iter_lines()
        first = json.loads(next(line for line in lines if line.startswith("data:"))[5:])
        assert {s["stage"]: s["length"] for s in first["stages"]}["risk"] == 0
        client.xadd(stream, {"x": "1"})
        second = json.loads(next(line for line in lines if line.startswith("data:"))[5:])
        risk = {s["stage"]: s for s in second["stages"]}["risk"]
        assert (risk["length"], risk["lag"], risk["state"]) == (1, 1, "working")


def test_stage_rows_when_no_stream_then_every_stage_idle() -> None:
    assert [(r.stage, r.state) for r in stage_rows([])] == [
        ("scan", "idle"), ("route", "idle"), ("size", "idle"), ("risk", "idle"), ("execute", "idle"),
    ]  # fmt: skip
