"""Account state: cash and positions, with the T+1 sellable quantity A-shares settle by."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alphamoe.data.actions.model import CorporateAction
from alphamoe.market.corporate import Receivable, carry, owed, settle
from alphamoe.market.dividend_tax import TaxLot, one_lot
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
    lots: tuple[TaxLot, ...] = Field(
        (),
        description="the shares by day bought, oldest first, with the dividends whose tax a sale collects "
        "(`market.dividend_tax`); empty: one lot of every share opened on `opened`, nothing untaxed (a state "
        "saved before lots, or a broker's position)",
    )

    @model_validator(mode="after")
    def _lots_hold_the_quantity(self) -> Position:
        if self.lots and sum(lot.quantity for lot in self.lots) != self.quantity:
            raise ValueError(
                f"lots of {self.symbol} hold {sum(lot.quantity for lot in self.lots)} shares, not "
                f"the position's {self.quantity}"
            )
        return self

    def tax_lots(self) -> tuple[TaxLot, ...]:
        """Return the position's tax lots (`lots`, or the one lot an empty `lots` stands for)."""
        return self.lots or one_lot(self.quantity, self.opened)


class AccountState(BaseModel):
    """Cash and positions of one account at a point of a trading day."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    account_id: str
    trading_day: date
    cash: Decimal
    positions: tuple[Position, ...] = ()
    receivables: tuple[Receivable, ...] = Field(
        (), description="dividends gone ex, paid on their pay dates: part of the equity, not of the cash"
    )

    def position(self, symbol: str) -> Position | None:
        for p in self.positions:
            if p.symbol == symbol:
                return p
        return None

    @property
    def market_value(self) -> Decimal:
        return sum((p.last_price * p.quantity for p in self.positions), Decimal("0"))

    @property
    def receivable(self) -> Decimal:
        """Return the CNY of dividends gone ex and not yet paid (`market.corporate.owed`)."""
        return owed(self.receivables)

    @property
    def equity(self) -> Decimal:
        """Return cash + receivables + market value. The dividend tax a sale of the lots would collect is not
        deducted: a broker does not either, and it is owed only if the shares are sold within its bands."""
        return self.cash + self.receivable + self.market_value

    def roll_to(self, day: date, actions: Iterable[CorporateAction] = ()) -> AccountState:
        """Return the state at the open of `day`: yesterday's buys become sellable (T+1), and the corporate
        actions with ex dates after this state's day up to `day` are applied (market/corporate.py), so a
        holding keeps its value across an ex date; the new shares of `day`'s actions unlock the next session.
        A dividend paid after its ex date is a receivable until the open of its pay date (`corporate.settle`)."""
        due = [a for a in actions if self.trading_day < a.ex_date <= day]
        cash = self.cash
        receivables = list(self.receivables)
        positions = []
        for p in self.positions:
            if p.quantity <= 0:
                continue
            got = carry(
                p.symbol, p.quantity, p.cost, due, opened=p.opened, last_price=p.last_price, day=day, lots=p.tax_lots()
            )
            cash += got.paid
            receivables.extend(got.receivables)
            positions.append(
                Position(
                    symbol=p.symbol,
                    quantity=got.quantity,
                    sellable=got.quantity - got.new_shares,
                    cost=got.cost,
                    last_price=got.price,
                    opened=p.opened,
                    lots=got.lots,
                )
            )
        paid, owing = settle(receivables, day)
        return AccountState(
            account_id=self.account_id,
            trading_day=day,
            cash=cash + paid,
            positions=tuple(positions),
            receivables=owing,
        )


def sellable_qty(position: Position | None) -> int:
    """Return shares that can be sold now; A-shares settle T+1, so today's buys are excluded."""
    return 0 if position is None else position.sellable
