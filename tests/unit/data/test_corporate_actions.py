from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError
from support.corporate_actions import action, bars

from alphamoe.data.actions.model import ActionKind, CorporateAction, ex_rights_reference
from alphamoe.data.actions.store import ActionBook, merge, read_actions, write_actions
from alphamoe.data.importer import instruments_of
from alphamoe.market.bars import BarStore
from alphamoe.storage import open_store

EX = date(2021, 7, 1)


def test_action_when_amount_of_another_kind_then_refused() -> None:
    with pytest.raises(ValidationError, match=r"cash_dividend of 600000\.SH on 2021-07-01 needs"):
        CorporateAction(symbol="600000.SH", kind=ActionKind.CASH_DIVIDEND, ex_date=EX, shares=Decimal(1), source="x")
    with pytest.raises(ValidationError, match="rights_price"):
        action("600000.SH", EX, ActionKind.RIGHTS_ISSUE, rights_ratio="0.3")
    with pytest.raises(ValidationError, match="more than 8 decimals"):
        action("600000.SH", EX, cash="0.123456789")


def test_reference_when_10_bonus_5_cash_1_then_exchange_formula_half_up() -> None:
    # (10.00 − 0.1) / 1.5 = 6.6 ; 10送5派1 as two records on one ex date
    day = [action("600000.SH", EX, cash="0.1"), action("600000.SH", EX, ActionKind.BONUS_SHARES, shares="0.5")]
    assert ex_rights_reference(Decimal("10.00"), day) == Decimal("6.60")
    # 13.81 / 3 = 4.6033 → 4.60 (000425.SZ, 10转20)
    split = [action("000425.SZ", EX, ActionKind.CAPITALISATION_SHARES, shares="2")]
    assert ex_rights_reference(Decimal("13.81"), split) == Decimal("4.60")
    # rights 10配3 at 5.00 on a 10.00 close: (10 + 1.5) / 1.3 = 8.846 → 8.85
    rights = [action("600000.SH", EX, ActionKind.RIGHTS_ISSUE, rights_ratio="0.3", rights_price="5")]
    assert ex_rights_reference(Decimal("10.00"), rights) == Decimal("8.85")


def test_merge_when_published_day_brought_then_replaced_and_others_kept() -> None:
    old = [action("600000.SH", EX, cash="0.40"), action("600000.SH", date(2020, 6, 1)), action("000001.SZ", EX)]
    merged = merge(old, [action("600000.SH", EX, cash="0.45")])
    assert [(a.symbol, a.ex_date, a.cash) for a in merged] == [
        ("600000.SH", date(2020, 6, 1), Decimal("0.1")),
        ("000001.SZ", EX, Decimal("0.1")),
        ("600000.SH", EX, Decimal("0.45")),
    ]


def test_merge_when_published_and_inferred_then_published_wins_in_any_order() -> None:
    guessed = [
        action("600000.SH", date(2021, 7, 2), cash="0.45", inferred=True),
        action("000001.SZ", EX, inferred=True),
    ]
    published = [action("600000.SH", EX, cash="0.45")]
    first = merge(merge([], guessed, inferred_for=["600000.SH", "000001.SZ"]), published)
    later = merge(merge([], published), guessed, inferred_for=["600000.SH", "000001.SZ"])
    assert first == later == [action("000001.SZ", EX, inferred=True), *published]


def test_merge_when_reinferred_then_stale_guesses_of_those_symbols_go() -> None:
    stale = [action("600000.SH", date(2020, 6, 1), inferred=True), action("000001.SZ", EX, inferred=True)]
    merged = merge(stale, [], inferred_for=["600000.SH"])
    assert merged == [action("000001.SZ", EX, inferred=True)]


def test_write_actions_when_one_symbol_imported_then_other_symbols_kept(tmp_path: Path) -> None:
    objects = open_store(tmp_path)
    write_actions(objects, [action("600000.SH", EX), action("000001.SZ", EX, ActionKind.BONUS_SHARES, shares="0.3")])
    write_actions(objects, [action("600000.SH", EX, cash="0.45")])
    stored = read_actions(objects)
    assert [(a.symbol, a.kind, a.cash, a.shares) for a in stored] == [
        ("000001.SZ", ActionKind.BONUS_SHARES, None, Decimal("0.3")),
        ("600000.SH", ActionKind.CASH_DIVIDEND, Decimal("0.45"), None),
    ]


def test_action_book_when_read_then_ex_date_applies_and_announcement_bounds_knowledge() -> None:
    announced = action("600000.SH", EX, announced=date(2021, 6, 24))
    guessed = action("000001.SZ", date(2021, 7, 5), inferred=True)
    book = ActionBook([guessed, announced])
    assert book.on(EX) == [announced] and book.on(date(2021, 6, 24)) == []
    assert book.between(date(2021, 6, 1), date(2021, 7, 31)) == [announced, guessed]
    assert book.between(date(2021, 6, 1), date(2021, 7, 31), known_on=date(2021, 6, 23)) == []
    assert book.between(date(2021, 6, 1), date(2021, 7, 31), known_on=date(2021, 6, 24)) == [announced]
    assert book.between(date(2021, 6, 1), date(2021, 7, 31), known_on=date(2021, 7, 5)) == [announced, guessed]


def test_bar_store_when_actions_stored_then_read_point_in_time(tmp_path: Path) -> None:
    frame = bars("600000.SH", [(date(2021, 6, 30), 9.85, 9.80), (EX, 9.45, 9.40)])
    store = BarStore.write(tmp_path, frame, instruments_of(frame), {})
    assert store.actions_on(EX) == []
    write_actions(store.objects, [action("600000.SH", EX, cash="0.45", announced=date(2021, 6, 24))])
    reread = BarStore(tmp_path)
    assert [a.cash for a in reread.actions_on(EX)] == [Decimal("0.45")]
    assert reread.actions_between(date(2021, 6, 1), EX, known_on=date(2021, 6, 20)) == []
