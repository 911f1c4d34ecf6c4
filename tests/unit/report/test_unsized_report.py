"""Confirmed, not ordered: why — sizing's reasons reach the day report, its JSON and HTML, and `alphamoe explain`.

Issue 15: confirmed signals vanished without a reason (Kelly <= 0, a lot above the position cap, cash), and
`explain` stopped at the router.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.sizing import COMMISSION, DAY, UNCAPPED, account, ref, routed
from typer.testing import CliRunner

from alphamoe.cli.app import app
from alphamoe.events.envelope import build_event
from alphamoe.events.payloads import Payload, SizingCompleted, UnsizedReason
from alphamoe.market.bars import BarStore
from alphamoe.report.day import build_report
from alphamoe.report.render import write_html
from alphamoe.report.trail import after_router
from alphamoe.sizing.allocate import allocate

RUN = "20240305-unsized"


def test_day_report_when_signals_unsized_then_json_and_html_list_each_reason_with_its_numbers(
    tmp_path: Path,
) -> None:
    # a tiny account shows all three in one batch: 1,594 CNY, half of it per stock at most
    signals = [
        routed("600000.SH", p=0.4, b=1.2),  # Kelly <= 0
        routed("600519.SH", confidence=0.01, prev_close="1650.00"),  # a 5 CNY target; one lot is 168,300 CNY
        routed("830001.BJ", p=1.0, b=1.0, confidence=1.0, prev_close="7.77"),  # 100 × 7.93 + 5 CNY fee = 798
        routed("830799.BJ", p=1.0, b=1.0, confidence=1.0, prev_close="7.77"),  # then 796 CNY buys no lot with fees
    ]
    state = account("1594")
    reference = {r.signal.symbol: ref(r.signal.symbol, str(r.signal.prev_close)) for r in signals}
    config = UNCAPPED.model_copy(update={"max_position_weight": 0.5})
    batch = allocate(DAY, signals, (), state, reference, config, COMMISSION)
    summary = SizingCompleted(
        trading_day=DAY, account_id="acc", proposed=len(batch.orders), confirmed=batch.confirmed, unsized=batch.unsized
    )
    payloads: list[Payload] = [*signals, *batch.orders, summary]
    events = [build_event(p, run_id=RUN, source="/alphamoe/test") for p in payloads]
    report = build_report(events, state, run_id=RUN, calendar="test", stage_ms={})

    document = json.loads(report.model_dump_json())
    why = {u["symbol"]: u for u in document["unsized"]}
    assert why["600000.SH"]["code"] == UnsizedReason.KELLY_NOT_POSITIVE
    assert (why["600000.SH"]["p_win"], why["600000.SH"]["payoff"], why["600000.SH"]["kelly"]) == (0.4, 1.2, 0.0)
    assert why["600519.SH"]["code"] == UnsizedReason.LOT_ABOVE_TARGET
    assert (why["600519.SH"]["limit_price"], why["600519.SH"]["lot"]) == ("1683.00", 100)
    assert why["830799.BJ"]["code"] == UnsizedReason.CASH
    assert [o["symbol"] for o in document["orders"]] == ["830001.BJ"]
    page = write_html(report, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Confirmed, not ordered: why (3)" in page and "LOT_ABOVE_TARGET" in page
    trail = after_router(report, "600519.SH", "sig-600519.SH")
    assert trail.found and trail.orders == [] and [u.code for u in trail.unsized] == [UnsizedReason.LOT_ABOVE_TARGET]


def test_explain_when_lot_above_the_cap_then_continues_past_the_router_to_the_reason_and_risk(
    market_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALPHAMOE_RUNS", str(tmp_path / "runs"))
    monkeypatch.delenv("ALPHAMOE_REDIS_URL", raising=False)
    monkeypatch.setenv("ALPHAMOE_RISK__MAX_POSITION_WEIGHT", "0.005")  # 5,000 CNY: a lot above 50 CNY is too big
    monkeypatch.setenv("ALPHAMOE_SIZING__MIN_ORDER_VALUE", "0")
    day = BarStore(market_dir).sessions()[-1].isoformat()
    ran = CliRunner().invoke(app, ["run", "--date", day, "--data", str(market_dir), "--quiet"])
    assert ran.exit_code == 0, ran.output
    report = json.loads((tmp_path / "runs" / day / "report.json").read_text(encoding="utf-8"))
    assert report["unsized"], "the day must leave a confirmed signal unsized"
    assert all(u["reason"] and u["notes"] for u in report["unsized"])
    [unsized] = [u for u in report["unsized"] if u["code"] == UnsizedReason.LOT_ABOVE_TARGET]
    ordered = report["orders"][0]
    shown = CliRunner().invoke(
        app, ["explain", report["run_id"], unsized["symbol"], "--json", "--data", str(market_dir)]
    )
    assert shown.exit_code == 0, shown.output
    sizing = json.loads(shown.output)["sizing"]
    assert [u["code"] for u in sizing["unsized"]] == [unsized["code"]] and sizing["orders"] == []
    text = CliRunner().invoke(app, ["explain", report["run_id"], ordered["symbol"], "--data", str(market_dir)])
    assert text.exit_code == 0, text.output
    assert f"order BUY {ordered['quantity']}" in text.output and "risk approved" in text.output
