"""Reconciliation across an ex date: new shares of a known corporate action are expected, others are a break."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from support.corporate_actions import action

from alphamoe.broker.reconcile import reconcile
from alphamoe.data.actions.model import ActionKind
from alphamoe.portfolio import AccountState, Position

EX = date(2015, 9, 23)
SPLIT = action("000425.SZ", EX, ActionKind.CAPITALISATION_SHARES, shares="2")


def _account(quantity: int) -> AccountState:
    held = Position(symbol="000425.SZ", quantity=quantity, sellable=quantity, cost=Decimal(1), last_price=Decimal(1))
    return AccountState(account_id="a", trading_day=EX, cash=Decimal(0), positions=(held,))


def test_reconcile_when_broker_position_grew_by_the_known_split_then_expected() -> None:
    result = reconcile([], [], _account(10800), _account(3600), [SPLIT])
    assert result.ok
    assert any("new shares of its corporate action" in n for n in result.notes)


def test_reconcile_when_broker_position_grew_otherwise_then_a_break() -> None:
    assert not reconcile([], [], _account(10900), _account(3600), [SPLIT]).ok
    assert not reconcile([], [], _account(10800), _account(3600)).ok  # no known action explains it


def test_reconcile_when_fraction_allocated_by_chinaclear_then_floor_or_one_more_expected() -> None:
    odd = action("000425.SZ", EX, ActionKind.CAPITALISATION_SHARES, shares="0.35")
    assert reconcile([], [], _account(202), _account(150), [odd]).ok  # ⌊52.5⌋
    assert reconcile([], [], _account(203), _account(150), [odd]).ok
    assert not reconcile([], [], _account(204), _account(150), [odd]).ok
