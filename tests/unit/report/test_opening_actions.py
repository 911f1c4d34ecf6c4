"""The day report's opening: the corporate actions the account applied at the open, listed (issue 15, item 2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from support.corporate_actions import action, bars
from support.report_day import RUN, day_events

from alphamoe.data.actions.model import ActionKind
from alphamoe.data.actions.store import write_actions
from alphamoe.data.importer import instruments_of
from alphamoe.market.bars import BarStore
from alphamoe.pipeline.accounts import AccountBook
from alphamoe.portfolio import AccountState, Position
from alphamoe.report.assemble import account_book
from alphamoe.report.day import DayReport, build_report, opening_actions
from alphamoe.report.render import print_report, write_html
from alphamoe.settings import Settings

CLOSED, EX = date(2025, 3, 28), date(2025, 3, 31)
HELD = "600519.SH"
CASH = Decimal("1000000")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # 600519.SH: 10 送 2 and 1.00 CNY a share on 2025-03-31; held since 2023 (> 1 year: no dividend tax) …
    frame = bars(HELD, [(CLOSED, 120.0, 119.0), (EX, 99.0, 99.17)], name="贵州茅台")
    store = BarStore.write(tmp_path / "store", frame, instruments_of(frame), {})
    write_actions(
        store.objects,
        [action(HELD, EX, cash="1.00"), action(HELD, EX, ActionKind.BONUS_SHARES, shares="0.2")],
    )
    settings = Settings(data=tmp_path / "store", runs=tmp_path / "runs")
    close = AccountState(
        account_id=settings.account_id,
        trading_day=CLOSED,
        cash=CASH,
        positions=(
            Position(
                symbol=HELD,
                quantity=1000,
                sellable=1000,
                cost=Decimal("100000"),
                last_price=Decimal("120.00"),
                opened=date(2023, 1, 3),
            ),
        ),
    )
    AccountBook(settings.runs_dir / "accounts", settings.account_id, settings.initial_cash).save_close(close)
    return settings


def test_account_book_when_report_assembled_then_opening_applies_the_stores_actions(settings: Settings) -> None:
    opening = account_book(settings).opening_state(EX)

    held = opening.position(HELD)
    assert held is not None and (held.quantity, held.sellable) == (1200, 1000)  # 200 bonus shares, listed tomorrow
    assert opening.cash == CASH + Decimal("1000.00")  # held > 1 year: the dividend untaxed (财税〔2015〕101号)


def test_day_report_when_actions_at_the_open_then_listed_in_json_html_and_terminal(
    settings: Settings, tmp_path: Path
) -> None:
    rows = opening_actions(account_book(settings), EX)
    report = build_report(day_events(), _closing(), run_id=RUN, calendar="test", stage_ms={}, opening_actions=rows)

    (row,) = report.opening_actions
    assert (row.symbol, row.ex_date, row.held, row.shares_added, row.cash, row.tax) == (
        HELD, EX, 1000, 200, Decimal("1000.00"), Decimal("0.00"),
    )  # fmt: skip
    assert row.actions == ["bonus_shares 0.2 per share", "cash_dividend 1 CNY per share"]
    assert DayReport.model_validate_json(report.model_dump_json()).opening_actions == [row]
    page = write_html(report, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Corporate actions at the open (1)" in page and "bonus_shares 0.2 per share" in page
    console = Console(record=True, width=200)
    print_report(report, console)
    assert "Corporate actions at the open (1)" in console.export_text()


def test_opening_actions_when_held_a_week_then_paid_gross_and_the_tax_left_to_a_sale(settings: Settings) -> None:
    book = account_book(settings)
    close = book.read(book.snapshots()[CLOSED])
    week = close.model_copy(
        update={"positions": (close.positions[0].model_copy(update={"opened": date(2025, 3, 24)}),)}
    )
    book.save_close(week)

    (row,) = opening_actions(book, EX)

    # since 2013 nothing is withheld at the credit: a sale within a month would collect 20% of the dividend and
    # of the bonus shares at par, 1,000 + 200 × 1.00 (财税〔2012〕85号, 〔2015〕101号), so the lot carries 1,200
    assert (row.cash, row.tax) == (Decimal("1000.00"), Decimal("0.00"))
    opening = book.opening_state(EX)
    assert opening.cash == CASH + row.cash
    held = opening.position(HELD)
    assert held is not None and [(lot.quantity, lot.untaxed) for lot in held.tax_lots()] == [(1200, Decimal(1200))]


def test_day_report_when_no_actions_at_the_open_then_no_section(settings: Settings, tmp_path: Path) -> None:
    assert opening_actions(account_book(settings), CLOSED) == []
    report = build_report(day_events(), _closing(), run_id=RUN, calendar="test", stage_ms={})
    assert "Corporate actions" not in write_html(report, tmp_path / "report.html").read_text(encoding="utf-8")


def _closing() -> AccountState:
    return AccountState(account_id="paper", trading_day=EX, cash=CASH)
