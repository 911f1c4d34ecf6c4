"""Account state: cash and positions, with the T+1 sellable quantity A-shares settle by."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from alphamoe.data.actions.model import CorporateAction
from alphamoe.market.corporate import carry
from alphamoe.types import Symbol


class Position(BaseModel):
    """A holding. `sellable` excludes shares bought today (T+1): they unlock at the next session."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    symbol: Symbol
    quantity: int = Field(ge=0)
    sellable: int = Field(ge=0)
    cost: Decimal = Field(description="total CNY paid including fees, for P&L")
    last_price: Decimal = Field(description="latest close seen, for valuation")
    opened: date | None = Field(None, description="day the position was opened: its dividend tax holding period")


class AccountState(BaseModel):
    """Cash and positions of one account at a point of a trading day."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    account_id: str
    trading_day: date
    cash: Decimal
    positions: tuple[Position, ...] = ()

    def position(self, symbol: str) -> Position | None:
        for p in self.positions:
            if p.symbol == symbol:
                return p
        return None

    @property
    def market_value(self) -> Decimal:
        return sum((p.last_price * p.quantity for p in self.positions), Decimal("0"))

    @property
    def equity(self) -> Decimal:
        return self.cash + self.market_value

    def roll_to(self, day: date, actions: Iterable[CorporateAction] = ()) -> AccountState:
        """Return the state at the open of `day`: yesterday's buys become sellable (T+1), and the corporate
        actions with ex dates after this state's day up to `day` are applied (market/corporate.py), so a
        holding keeps its value across an ex date; the new shares of `day`'s actions unlock the next session."""
        due = [a for a in actions if self.trading_day < a.ex_date <= day]
        cash = self.cash
        positions = []
        for p in self.positions:
            if p.quantity <= 0:
                continue
            got = carry(p.symbol, p.quantity, p.cost, due, opened=p.opened, last_price=p.last_price, day=day)
            cash += got.cash
            positions.append(
                Position(
                    symbol=p.symbol,
                    quantity=got.quantity,
                    sellable=got.quantity - got.new_shares,
                    cost=got.cost,
                    last_price=got.price,
                    opened=p.opened,
                )
            )
        return AccountState(account_id=self.account_id, trading_day=day, cash=cash, positions=tuple(positions))


def sellable_qty(position: Position | None) -> int:
    """Return shares that can be sold now; A-shares settle T+1, so today's buys are excluded."""
    return 0 if position is None else position.sellable
