"""The Account page with several accounts configured (ALPHAMOE_ACCOUNTS): each side by side, and combined."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from support.console import ACCOUNTS, console_app, hand_day_report, sign_in, store_two_accounts, users
from support.report_day import DAY

from alphamoe.console.views import ConsoleData
from alphamoe.report.store import ReportStore
from alphamoe.settings import Settings


def test_accounts_when_configured_then_each_with_its_own_fees_and_capital_and_the_sum(tmp_path: Path) -> None:
    fees = store_two_accounts(tmp_path)
    data = ConsoleData(Settings(runs=tmp_path, data=tmp_path / "none", accounts=json.dumps(ACCOUNTS)))
    views, together = data.accounts()
    assert [i for i, _ in views] == ["acct-a", "acct-b"]  # in configuration order
    by_id = dict(views)
    a, b = by_id["acct-a"], by_id["acct-b"]
    assert a is not None and b is not None
    assert (a.fees, b.fees) == (fees["acct-a"], fees["acct-b"]) == (Decimal("10"), Decimal("6"))
    assert (a.capital, b.capital) == (Decimal("1000000"), Decimal("500000"))
    assert b.turnover == (Decimal("20000") / ((b.equity_curve[0][1] + b.equity_curve[1][1]) / 2)).quantize(
        Decimal("0.0001")
    )  # two fills of 100 × 100 over the mean close
    assert together.equity == a.state.equity + b.state.equity and together.fees == Decimal("16")
    pairs = zip(a.equity_curve, b.equity_curve, strict=True)
    assert together.equity_curve == [(day, x + y) for (day, x), (_, y) in pairs] and len(together.equity_curve) == 2


def test_accounts_when_a_day_report_carries_the_benchmark_then_each_account_gets_it_rebased(tmp_path: Path) -> None:
    store_two_accounts(tmp_path)
    report = hand_day_report()
    performance = report.performance.model_copy(update={"benchmark": "000300.SH", "benchmark_return": Decimal("0.01")})
    ReportStore.open(tmp_path / "reports").save(report.model_copy(update={"performance": performance}))
    data = ConsoleData(Settings(runs=tmp_path, data=tmp_path / "none", accounts=json.dumps(ACCOUNTS)))
    for view in (data.account("acct-a", Decimal("1000000")), data.account("acct-b", Decimal("500000"))):
        assert view is not None
        first = view.equity_curve[0][1]
        assert view.benchmark_curve == [(DAY, (first * Decimal("1.01")).quantize(Decimal("0.01")))]


def test_account_page_when_two_accounts_then_side_by_side_and_combined_rows(tmp_path: Path) -> None:
    store_two_accounts(tmp_path)
    _, client = console_app(tmp_path, None, accounts=json.dumps(ACCOUNTS), users=users())
    sign_in(client, "bob")
    page = client.get("/account").text
    assert 'id="accounts-combined"' in page
    for account in ("acct-a", "acct-b", "combined"):
        assert f'<tr data-account="{account}">' in page or f'data-account="{account}"><th>' in page, account
    assert "1,000,000.00" in page and "500,000.00" in page  # each account's own capital
    assert "1,470,000.00" in page  # the combined cash: 990,000 + 480,000
