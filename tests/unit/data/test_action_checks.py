from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from support.corporate_actions import action, bars

from alphamoe.data.actions.model import ActionKind, CorporateAction
from alphamoe.data.actions.store import write_actions
from alphamoe.data.importer import instruments_of
from alphamoe.data.quality import Finding, check_actions, check_store
from alphamoe.market.bars import BarStore

JUN30, JUL1, JUL2, JUL5 = date(2021, 6, 30), date(2021, 7, 1), date(2021, 7, 2), date(2021, 7, 5)
SESSIONS = [JUN30, JUL1, JUL2, JUL5]
SPDB = bars("600000.SH", [(JUN30, 9.85, 9.80), (JUL1, 9.45, 9.40), (JUL2, 9.33, 9.45)])  # cash 0.45 on 07-01


def _found(actions: list[CorporateAction], frame: pd.DataFrame = SPDB) -> list[tuple[str, date, str]]:
    return [(f.symbol, f.day, f.rule) for f in check_actions(actions, frame, SESSIONS)]


@pytest.mark.parametrize("cash", ["0.45", "0.46", "0.44"])
def test_check_actions_when_reference_within_a_tick_then_no_finding(cash: str) -> None:
    assert _found([action("600000.SH", JUL1, cash=cash)]) == []


def test_check_actions_when_ratio_contradicts_prices_then_action_prices_finding() -> None:
    assert _found([action("600000.SH", JUL1, cash="0.47")]) == [("600000.SH", JUL1, "action_prices")]
    split = [action("600000.SH", JUL1, cash="0.45"), action("600000.SH", JUL1, ActionKind.BONUS_SHARES, shares="1")]
    findings = check_actions(split, SPDB, SESSIONS)
    assert findings == [
        Finding(
            "600000.SH",
            JUL1,
            "action_prices",
            "cash_dividend cash 0.45 (test); bonus_shares shares 1 (test): reference 4.70 from close 9.85, "
            "exchange's previous close 9.40 on 2021-07-01",
        )
    ]


def test_check_actions_when_paid_before_ex_date_then_action_pay_date_finding() -> None:
    late = action("600000.SH", JUL1, cash="0.45", pay_date=date(2021, 6, 29))
    assert _found([late]) == [("600000.SH", JUL1, "action_pay_date")]
    assert _found([action("600000.SH", JUL1, cash="0.45", pay_date=JUL1)]) == []


def test_check_actions_when_ex_date_not_a_session_then_finding_and_judged_at_the_next_bar() -> None:
    saturday = date(2021, 7, 3)
    suspended = bars("600000.SH", [(JUN30, 9.85, 9.80), (JUL5, 9.45, 9.40)])
    assert _found([action("600000.SH", saturday, cash="0.45")], suspended) == [
        ("600000.SH", saturday, "action_not_a_session")
    ]


def test_check_actions_when_ex_date_in_a_suspension_then_compared_at_the_resumption() -> None:
    suspended = bars("600000.SH", [(JUN30, 10.20, 10.10), (JUL5, 5.20, 5.10)])  # 10转10 while suspended
    assert _found([action("600000.SH", JUL1, ActionKind.CAPITALISATION_SHARES, shares="1")], suspended) == []
    wrong = [action("600000.SH", JUL1, ActionKind.CAPITALISATION_SHARES, shares="0.5")]
    assert _found(wrong, suspended) == [("600000.SH", JUL1, "action_prices")]


def test_check_actions_when_inferred_then_listed_only() -> None:
    assert _found([action("600000.SH", JUL1, cash="0.45", inferred=True)]) == [("600000.SH", JUL1, "action_inferred")]


def test_check_actions_when_no_bars_around_ex_date_then_not_judged() -> None:
    assert _found([action("000001.SZ", JUL1, cash="9"), action("600000.SH", JUN30, cash="9")]) == []


def test_check_store_when_actions_stored_then_their_findings_join_the_bars(tmp_path: Path) -> None:
    store = BarStore.write(tmp_path, SPDB, instruments_of(SPDB), {})
    write_actions(store.objects, [action("600000.SH", JUL1, cash="0.47")])
    rules = [(f.symbol, f.day, f.rule) for f in check_store(BarStore(tmp_path)) if f.rule.startswith("action")]
    assert rules == [("600000.SH", JUL1, "action_prices")]
