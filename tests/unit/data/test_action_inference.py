from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from support.corporate_actions import bars

from alphamoe.data.actions.infer import Distribution, infer_actions, solve_step
from alphamoe.data.actions.model import ActionKind, CorporateAction
from alphamoe.data.ganlei import read_ganlei
from alphamoe.data.quality import check_actions

D = Decimal
DAYS = [date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 5), date(2024, 6, 6)]


@pytest.mark.parametrize(
    ("last", "reference", "expected"),
    [
        ("13.81", "4.60", Distribution(D(2), D(0))),  # 10转20: 13.81 / 3 = 4.603 → 4.60
        ("7.46", "7.19", Distribution(D(0), D("0.27"))),  # a cash dividend
        ("10.00", "6.60", Distribution(D("0.5"), D("0.1"))),  # 10送5派1: the cash makes it exact
        ("8.91", "4.46", Distribution(D(1), D(0))),  # 8.91 / 2 = 4.455 → 4.46, half up
        ("10.00", "9.09", Distribution(D("0.1"), D(0))),  # 10送1: what rounding leaves is not cash
        ("10.00", "9.50", Distribution(D(0), D("0.50"))),  # 5%: below any share ratio, cash
    ],
)
def test_solve_step_when_exchange_reference_then_clean_ratio_else_cash(
    last: str, reference: str, expected: Distribution
) -> None:
    assert solve_step(D(last), D(reference)) == expected


def _kinds(actions: list[CorporateAction]) -> list[tuple[str, date, ActionKind, Decimal | None]]:
    return [(a.symbol, a.ex_date, a.kind, a.cash or a.shares) for a in actions]


def test_infer_when_step_beyond_a_tick_or_marked_then_inferred_actions_else_none() -> None:
    frame = bars(
        "600000.SH",
        [(DAYS[0], 10.00, 9.90), (DAYS[1], 10.20, 9.99), (DAYS[2], 5.20, 5.10), (DAYS[3], 5.30, 5.20)],
    )
    actions = infer_actions(frame)
    assert _kinds(actions) == [
        ("600000.SH", DAYS[2], ActionKind.CAPITALISATION_SHARES, D(1)),  # 10.20 → 5.10: 10转10
    ]  # 10.00 → 9.99 is a tick: rounding, not an action
    assert all(a.inferred and a.source == "inferred:prev_close" for a in actions)
    assert actions[0].record_date == DAYS[1] and actions[0].pay_date is None
    marked = bars("600000.SH", [(DAYS[0], 10.00, 9.90), (DAYS[1], 10.20, 9.99)], name="XD浦发银")
    assert _kinds(infer_actions(marked)) == [("600000.SH", DAYS[1], ActionKind.CASH_DIVIDEND, D("0.01"))]


def test_infer_when_prev_close_above_last_close_then_nothing_inferred() -> None:
    assert infer_actions(bars("600000.SH", [(DAYS[0], 10.00, 9.90), (DAYS[1], 10.20, 10.05)])) == []


def _real(real_daily_dir: Path, name: str) -> list[CorporateAction]:
    file = real_daily_dir / name
    if not file.is_file():
        pytest.skip(f"{file} not found")
    return infer_actions(read_ganlei(file).bars)


def test_infer_real_000425_when_1_to_3_on_2015_09_23_then_two_new_shares_per_share(real_daily_dir: Path) -> None:
    day = [a for a in _real(real_daily_dir, "sz000425.csv") if a.ex_date == date(2015, 9, 23)]
    assert _kinds(day) == [("000425.SZ", date(2015, 9, 23), ActionKind.CAPITALISATION_SHARES, D(2))]


def test_infer_real_601328_when_ex_dividend_2015_06_03_then_cash_027(real_daily_dir: Path) -> None:
    day = [a for a in _real(real_daily_dir, "sh601328.csv") if a.ex_date == date(2015, 6, 3)]
    assert _kinds(day) == [("601328.SH", date(2015, 6, 3), ActionKind.CASH_DIVIDEND, D("0.27"))]


def test_infer_real_when_every_stock_then_each_action_reproduces_the_exchange_reference(real_daily: object) -> None:
    imported = real_daily.bars  # type: ignore[attr-defined]
    actions = infer_actions(imported)
    assert len(actions) > 1000
    sessions = sorted(set(imported["date"]))
    contradicted = [f for f in check_actions(actions, imported, sessions) if f.rule == "action_prices"]
    assert contradicted == []
