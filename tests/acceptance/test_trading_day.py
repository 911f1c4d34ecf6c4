"""One trading day end to end, in process: the properties the foundation promises."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from alphamoe.market.bars import BarStore
from alphamoe.market.lots import buy_quantity_error, sell_quantity_error
from alphamoe.market.reference import pre_open_reference
from alphamoe.market.ticks import on_tick
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.pipeline.run import DayRun, run_day
from alphamoe.settings import Settings
from alphamoe.types import OrderStatus, Side, Verdict


@pytest.fixture(scope="module", params=["synthetic", "real"])
def market(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[date]]:
    """The embedded market's last three days, and three real days from the imported ganlei data."""
    if request.param == "synthetic":
        data: Path = request.getfixturevalue("market_dir")
        return data, BarStore(data).sessions()[-3:]
    from alphamoe.data.ganlei import write_ganlei

    folder: Path = request.getfixturevalue("real_daily_dir")
    data = tmp_path_factory.mktemp("real-market")
    write_ganlei(folder, data)
    return data, [date(2021, 5, 31), date(2021, 6, 1), date(2021, 6, 2)]


@pytest.fixture(scope="module")
def settings(market: tuple[Path, list[date]], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data=market[0], runs=tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def days(market: tuple[Path, list[date]]) -> list[date]:
    return market[1]


@pytest.fixture(scope="module")
def market_path(market: tuple[Path, list[date]]) -> Path:
    return market[0]


@pytest.fixture(scope="module")
def runs(settings: Settings, days: list[date]) -> list[DayRun]:
    """Three consecutive days on one account, so holdings carry over and T+1 applies."""
    return [run_day(settings, d) for d in days]


def test_run_when_days_run_then_some_orders_fill(runs: list[DayRun]) -> None:
    assert all(r.report.signals for r in runs)
    assert sum(len(r.report.fills) for r in runs) > 0
    assert any(o.side is Side.SELL for r in runs for o in r.report.orders) or runs[-1].report.positions


def test_every_order_when_proposed_then_lot_valid_on_tick_and_inside_the_band(
    runs: list[DayRun], settings: Settings, market_path: Path
) -> None:
    store = BarStore(market_path)
    book = AccountBook(settings.runs_dir / "accounts", settings.account_id, settings.initial_cash)
    checked = 0
    for run in runs:
        day = run.report.trading_day
        reference = pre_open_reference(store, day)
        opening = book.opening_state(day)
        for order in run.report.orders:
            band = reference[order.symbol].band
            assert on_tick(order.limit_price), order
            assert band.down <= order.limit_price <= band.up, order
            if order.side is Side.BUY:
                assert buy_quantity_error(order.symbol, order.quantity) is None, order
            else:
                held = opening.position(order.symbol)
                assert held is not None
                assert sell_quantity_error(order.symbol, order.quantity, held.quantity) is None, order
            checked += 1
    assert checked > 0


def test_sells_when_filled_then_never_shares_bought_the_same_day(runs: list[DayRun], settings: Settings) -> None:
    book = AccountBook(settings.runs_dir / "accounts", settings.account_id, settings.initial_cash)
    for run in runs:
        opening = book.opening_state(run.report.trading_day)
        sold: dict[str, int] = {}
        for fill in run.report.fills:
            if fill.side is Side.SELL:
                sold[fill.symbol] = sold.get(fill.symbol, 0) + fill.quantity
        for symbol, quantity in sold.items():
            position = opening.position(symbol)
            assert position is not None and quantity <= position.sellable


def test_confirmed_signals_when_routed_then_reasoning_summary_names_experts(runs: list[DayRun]) -> None:
    routed = [r for run in runs for r in run.report.routed]
    assert routed
    for r in routed:
        assert r.reasoning_summary.strip()
        assert r.experts
    assert any(r.verdict is Verdict.CONFIRM for r in routed)


def test_cash_when_day_closes_then_equals_opening_cash_minus_buys_plus_sells(
    runs: list[DayRun], settings: Settings
) -> None:
    book = AccountBook(settings.runs_dir / "accounts", settings.account_id, settings.initial_cash)
    for run in runs:
        opening = book.opening_state(run.report.trading_day)
        flow = sum(
            (f.price * f.quantity * (1 if f.side is Side.SELL else -1) - f.fees for f in run.report.fills),
            Decimal("0"),
        )
        assert run.report.cash == opening.cash + flow
        assert run.report.cash >= 0


def test_rerun_when_same_day_then_identical_orders(runs: list[DayRun], settings: Settings) -> None:
    again = run_day(settings, runs[-1].report.trading_day)
    assert again.report.orders == runs[-1].report.orders
    assert again.report.fills == runs[-1].report.fills


def test_no_order_when_status_unknown_then_every_approved_order_reached_a_state(runs: list[DayRun]) -> None:
    for run in runs:
        assert all(o.status is not OrderStatus.UNKNOWN for o in run.report.orders)


def _cli(*args: str, data: Path, runs: Path) -> subprocess.CompletedProcess[str]:
    env = {"ALPHAMOE_DATA": str(data), "ALPHAMOE_RUNS": str(runs), "PATH": "/usr/bin:/bin", "HOME": str(runs)}
    return subprocess.run(
        [sys.executable, "-m", "alphamoe.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_cli_run_when_json_requested_then_report_has_the_contract_fields(market_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "day.json"
    day = BarStore(market_dir).sessions()[-2]
    done = _cli("run", "--date", day.isoformat(), "--json", str(out), "--quiet", data=market_dir, runs=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    for key in ("trading_day", "run_id", "signals", "routed", "orders", "fills", "positions", "cash"):
        assert key in report
    assert {"symbol", "score", "p_win", "payoff"} <= set(report["signals"][0])
    assert {"symbol", "verdict", "confidence", "experts", "reasoning_summary"} <= set(report["routed"][0])
    if report["orders"]:
        assert {"client_order_id", "symbol", "side", "quantity", "limit_price", "status", "reasons"} <= set(
            report["orders"][0]
        )


def test_cli_run_when_date_is_a_holiday_then_clear_message_with_next_trading_day(
    market_dir: Path, tmp_path: Path
) -> None:
    done = _cli("run", "--date", "2024-10-01", data=market_dir, runs=tmp_path)
    assert done.returncode == 2
    assert "not an XSHG session" in done.stderr and "the next session is 2024-10-08" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_cli_run_when_date_malformed_then_clear_message(market_dir: Path, tmp_path: Path) -> None:
    done = _cli("run", "--date", "2024-13-45", data=market_dir, runs=tmp_path)
    assert done.returncode == 2 and "YYYY-MM-DD" in done.stderr
    assert "Traceback" not in done.stderr
