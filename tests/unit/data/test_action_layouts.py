from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from alphamoe.data.actions.layouts import read_actions_source
from alphamoe.data.actions.model import ActionKind
from alphamoe.errors import DataError

SAMPLES = Path(__file__).parent / "samples" / "actions"


def _table(fmt: str) -> dict[tuple[str, date, ActionKind], tuple[Decimal | None, ...]]:
    return {
        (a.symbol, a.ex_date, a.kind): (a.cash, a.shares, a.rights_ratio, a.rights_price)
        for a in read_actions_source(fmt, SAMPLES / fmt).actions
    }


def test_tushare_dividend_when_read_then_implemented_rows_per_share_one_record_per_kind() -> None:
    table = _table("tushare")
    assert table == {
        ("600000.SH", date(2021, 7, 1), ActionKind.CASH_DIVIDEND): (Decimal("0.45"), None, None, None),
        ("000425.SZ", date(2015, 9, 23), ActionKind.CAPITALISATION_SHARES): (None, Decimal(2), None, None),
        ("601328.SH", date(2015, 6, 3), ActionKind.CASH_DIVIDEND): (Decimal("0.27"), None, None, None),
        ("600346.SH", date(2015, 9, 22), ActionKind.CASH_DIVIDEND): (Decimal("0.01"), None, None, None),
        ("600346.SH", date(2015, 9, 22), ActionKind.BONUS_SHARES): (None, Decimal("0.5"), None, None),
        ("600346.SH", date(2015, 9, 22), ActionKind.CAPITALISATION_SHARES): (None, Decimal("0.8"), None, None),
    }


def test_tushare_dividend_when_read_then_dates_and_skips_reported() -> None:
    result = read_actions_source("tushare", SAMPLES / "tushare")
    spdb = next(a for a in result.actions if a.symbol == "600000.SH")
    assert (spdb.record_date, spdb.pay_date, spdb.announced) == (date(2021, 6, 30), date(2021, 7, 1), date(2021, 6, 24))
    assert spdb.source == "tushare:dividend" and not spdb.inferred
    assert result.report.skipped == {
        "div_proc is not 实施 (a plan, not an action)": 2,
        "the same action listed again": 1,
        "cash_div_tax 'abc' is not a number": 1,
        "实施 without an ex_date": 1,
    }


def test_akshare_when_dividend_and_rights_files_then_per_10_shares_divided_in_either_spelling() -> None:
    table = _table("akshare")
    assert table == {
        ("600000.SH", date(2021, 7, 1), ActionKind.CASH_DIVIDEND): (Decimal("0.45"), None, None, None),
        ("600000.SH", date(2003, 1, 9), ActionKind.CAPITALISATION_SHARES): (None, Decimal("0.3"), None, None),
        ("000425.SZ", date(2015, 9, 23), ActionKind.CAPITALISATION_SHARES): (None, Decimal(2), None, None),
        ("000425.SZ", date(2015, 6, 17), ActionKind.CASH_DIVIDEND): (Decimal("0.06"), None, None, None),
        ("000002.SZ", date(1997, 7, 1), ActionKind.RIGHTS_ISSUE): (None, None, Decimal("0.2"), Decimal("4.5")),
    }
    report = read_actions_source("akshare", SAMPLES / "akshare").report
    assert report.skipped == {
        "进度 is not 实施 (a plan, not an action)": 1,
        "配股 without a 除权日 (not carried out)": 1,
    }


def test_tushare_when_two_different_rows_for_one_ex_date_then_both_skipped(tmp_path: Path) -> None:
    lines = (SAMPLES / "tushare" / "dividend.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "d.csv").write_text("\n".join([lines[0], lines[1], lines[1].replace(",0.45,", ",0.46,")]), "utf-8")
    result = read_actions_source("tushare", tmp_path)
    assert result.actions == ()
    assert result.report.skipped == {"different amounts for one stock, kind and ex date": 2}


def test_read_actions_when_columns_missing_then_error_names_them_and_the_call(tmp_path: Path) -> None:
    (tmp_path / "600000.csv").write_text("日期,派息\n2021-07-01,4.5\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"lacks the akshare 分红 columns.*stock_history_dividend_detail"):
        read_actions_source("akshare", tmp_path)
    with pytest.raises(DataError, match=r"lacks the tushare dividend columns.*pro.dividend"):
        read_actions_source("tushare", tmp_path)
    with pytest.raises(DataError, match="not supported"):
        read_actions_source("wind", tmp_path)
