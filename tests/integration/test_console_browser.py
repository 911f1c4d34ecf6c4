"""The console used as a person uses it: a real headless Chromium against a real local cluster day.

The cluster (Redis, five func-python servers, the bridge) runs one day through the clock, which writes the
end-of-day report at the close; the console then serves that day. Each page is loaded in the browser and
checked against the sources (the account snapshot, the report, the kill switch in Redis), and a screenshot
of each page at a desktop and a phone viewport is kept under docs/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from support.browser import DESKTOP, PHONE, chromium, serve
from support.clock import FakeTime, shanghai
from support.console import PASSWORDS, users
from support.paths import REPO

from alphamoe.bus.progress import wait_quiet
from alphamoe.clock.config import ClockSettings
from alphamoe.clock.schedule import TickKind
from alphamoe.clock.wiring import build_clock, report_location
from alphamoe.console.app import build_app
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.report.endofday import EndOfDayReport
from alphamoe.report.store import ReportStore
from alphamoe.risk.switch import RedisSwitch
from alphamoe.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SHOTS = REPO / "docs" / "screenshots"
PAGES = ("today", "account", "risk", "fabric", "history")


@pytest.fixture(scope="module")
def closed_day(market_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, date]]:
    from alphamoe.cluster.supervisor import LocalCluster

    root = tmp_path_factory.mktemp("console-cluster")
    settings = Settings(data=market_dir, runs=root / "runs", clock=ClockSettings())
    cluster = LocalCluster(root / "cluster", settings).up(timeout_s=300)
    try:
        fabric = Settings(
            data=market_dir,
            runs=root / "runs",
            redis_url=cluster.redis_url,
            event_key=cluster.keys.event_key,
            console={"users": users()},
        )
        day = BarStore(market_dir).sessions()[-1]
        at = FakeTime(shanghai(day + timedelta(days=1), time(9, 26, 1)))
        clock = build_clock(fabric, now=at.now)
        clock.fire(TickKind.MARKET_OPEN, day=day, trigger="manual", on_demand=True)
        wait_quiet(clock.ledger.client, timeout_s=300)
        at.set(day + timedelta(days=1), time(15, 5, 1))
        clock.fire(TickKind.MARKET_CLOSE, day=day, trigger="manual", on_demand=True)  # writes the report
        yield fabric, day
    finally:
        cluster.down()


@pytest.fixture(scope="module")
def console_url(closed_day: tuple[Settings, date]) -> Iterator[str]:
    _, app = build_app(closed_day[0])
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


def _signed_in(browser: Any, url: str, user: str, viewport: dict[str, Any]) -> Any:
    page = browser.new_context(**viewport).new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/today")
    return page


def _report(settings: Settings, day: date) -> EndOfDayReport:
    return ReportStore.open(report_location(settings)).load(day)


def test_today_when_loaded_then_every_verdict_and_its_reasons_visible(
    closed_day: tuple[Settings, date], console_url: str, browser: Any
) -> None:
    settings, day = closed_day
    report = _report(settings, day)
    page = _signed_in(browser, console_url, "ann", DESKTOP)
    assert page.locator("#verdicts tbody tr").count() == len(report.verdicts) > 0
    first = report.verdicts[0]
    page.locator("#verdicts tbody tr").first.locator("details summary").click()
    assert page.get_by_text(first.experts[0].reasoning, exact=False).first.is_visible()
    assert page.locator("#stages tbody tr").count() == 5
    assert page.locator("#orders tbody tr").count() == len(report.day.orders)
    page.wait_for_function("document.getElementById('live-state').dataset.updated !== undefined", timeout=5000)


def test_account_when_loaded_then_positions_equal_the_account_snapshot(
    closed_day: tuple[Settings, date], console_url: str, browser: Any
) -> None:
    settings, day = closed_day
    book = AccountBook(settings.runs_dir / "accounts", settings.account_id, settings.initial_cash)
    state = book.read(book.snapshots()[day])
    page = _signed_in(browser, console_url, "bob", DESKTOP)
    page.goto(f"{console_url}/account")
    card = page.locator(f'section.account[data-account="{settings.account_id}"]')
    shown = {
        row.get_attribute("data-symbol"): int(row.locator(".qty").inner_text())
        for row in card.locator("table.positions tbody tr[data-symbol]").all()
    }
    assert shown == {p.symbol: p.quantity for p in state.positions if p.quantity > 0}
    assert Decimal(card.locator(".cash").inner_text().replace(",", "")) == state.cash.quantize(Decimal("0.01"))


def test_halt_when_viewer_presses_it_then_refused_and_state_unchanged(
    closed_day: tuple[Settings, date], console_url: str, browser: Any
) -> None:
    settings, _ = closed_day
    switch = RedisSwitch(redis.Redis.from_url(str(settings.redis_url), decode_responses=True))
    page = _signed_in(browser, console_url, "bob", DESKTOP)
    page.goto(f"{console_url}/risk")
    page.on("dialog", lambda dialog: dialog.accept())
    form = page.locator('form.act[action="/risk/halt"]').first
    form.locator("input[name=reason]").fill("a viewer tries")
    form.locator("input[name=confirm]").check()
    form.locator("button").click()
    page.wait_for_load_state()
    assert "needs the operator role" in page.content()
    assert switch.status(settings.account_id).state == "ACTIVE"


def test_halt_when_operator_confirms_then_redis_halted_then_resumed(
    closed_day: tuple[Settings, date], console_url: str, browser: Any
) -> None:
    settings, _ = closed_day
    switch = RedisSwitch(redis.Redis.from_url(str(settings.redis_url), decode_responses=True))
    page = _signed_in(browser, console_url, "ann", DESKTOP)
    page.goto(f"{console_url}/risk")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    form = page.locator('form.act[action="/risk/halt"]').first
    form.locator("input[name=reason]").fill("halted from the browser test")
    form.locator("input[name=confirm]").check()
    form.locator("button").click()
    page.wait_for_url(f"{console_url}/risk?notice=*")
    assert dialogs and "HALTED" in dialogs[0].upper()
    assert (switch.status(settings.account_id).state, switch.status(settings.account_id).reason) == (
        "HALTED",
        "halted from the browser test",
    )
    assert "halted from the browser test" in page.locator("#audit").inner_text()
    page.screenshot(path=str(SHOTS / "risk-halted-desktop.png"), full_page=True)
    form = page.locator('form.act[action="/risk/resume"]').first
    form.locator("input[name=reason]").fill("resumed from the browser test")
    form.locator("input[name=confirm]").check()
    form.locator("button").click()
    page.wait_for_url(f"{console_url}/risk?notice=*")
    assert switch.status(settings.account_id).state == "ACTIVE"


@pytest.mark.parametrize(("viewport", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_each_page_when_loaded_then_screenshot_kept(
    console_url: str, browser: Any, viewport: dict[str, Any], label: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _signed_in(browser, console_url, "ann", viewport)
    for name in PAGES:
        page.goto(f"{console_url}/{name}")
        assert page.locator("main h1").first.is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["viewport"]["width"] + 1, f"{name} scrolls sideways at {label}: {width}px"
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=label == "desktop")
